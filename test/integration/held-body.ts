// Request bodies held part-way (the retired-credential and artifact tests): the route authenticates before it reads the
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

/** A body that sends `size` bytes of `fill` in 64 KiB chunks, and can be held part-way until `go()`. */
export function slowBody(size: number, fill: string, holdAfter: number) {
  const chunk = 64 * 1024;
  let sent = 0;
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
        if (sent >= holdAfter) {
          reached();
          await released;
        }
        const n = Math.min(chunk, size - sent);
        ctrl.enqueue(new TextEncoder().encode(fill.repeat(n)));
        sent += n;
        if (sent >= size) ctrl.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, holding, go };
}
