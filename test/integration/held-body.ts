// A request body held part-way (pass 48's retired-credential tests): the route authenticates before it reads the
// body, so a revocation or rotation can be made to land between the two.
/** A JSON body sent in two parts, the second held until `go()`: the request is authenticated before it is read. */
export function heldJson(text: string, cut: number) {
  const enc = new TextEncoder();
  let part = 0;
  let reached!: () => void;
  let go!: () => void;
  const holding = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    go = r;
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        if (part === 0) ctrl.enqueue(enc.encode(text.slice(0, cut)));
        else {
          reached();
          await released;
          ctrl.enqueue(enc.encode(text.slice(cut)));
          ctrl.close();
        }
        part += 1;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, holding, go, length: enc.encode(text).byteLength };
}
