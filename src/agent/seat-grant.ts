/**
 * @module agent/seat-grant
 * How many jobs this agent runs at once: the seats the coordinator granted, not the ones it asked for. The hello
 * declares `--seats` (or the config file's `seats`), but the coordinator caps that at the factory's seat limit (set at
 * enrollment, raised by an operator: core/capability-grant) and routes on the capped number. An agent that believed
 * its own `--seats 2` printed "2 seats" while `gigafactory factories` showed 1 and the router pushed 1, and would have
 * run 2 engines had 2 jobs come. So the grant in `welcome` (and in a later `grant` frame, when an operator changes
 * the limit) is what the agent says and uses; asking for more than the limit is warned about once per grant, with
 * the command that raises it. An older coordinator says nothing of seats: the agent then runs what it asked for.
 */

import { counted } from "../core/counted.ts";
import type { Output } from "./output.ts";

/** What the coordinator says of this factory's seats (`welcome`, `grant`): absent fields = an older coordinator. */
export interface SeatsGranted {
  seats?: number;
  seatLimit?: number;
}

export class SeatGrant {
  private readonly asked: number;
  private readonly from: string | undefined;
  private readonly out: Output;
  private granted: number;
  /** The grant last warned about: a reconnect with the same grant says nothing again. */
  private warnedAt: number | undefined;
  /** The factory's id, from the last `welcome`. */
  private factoryId = "";
  /** The name this host runs as (agent/config `name`), said before the id as the `connected` line says it. */
  private readonly name: string;

  /**
   * `asked`: the seats this agent declares; `from`: where that number came from (`--seats`, the config file); `name`:
   * the host's (the lines said "factory fac_0mxc6m72…'s seat limit", where `connected` says "as demo-gpu (fac_…)").
   */
  // Fields assigned here, not constructor parameter properties: Node's type stripping runs this file as it is.
  constructor(asked: number, from: string | undefined, out: Output, name = "") {
    this.asked = asked;
    this.from = from;
    this.out = out;
    this.granted = asked;
    this.name = name;
  }

  /** This factory as its lines say it: `demo-gpu (fac_…)`, the id alone when the name is not known. */
  private get label(): string {
    return this.name && this.name !== this.factoryId ? `${this.name} (${this.factoryId})` : this.factoryId;
  }

  /** Jobs to run at once now: the grant, never more than asked. */
  get seats(): number {
    return this.granted;
  }

  /** A `welcome` (with its factory's id) or `grant`: take its seats, and warn once if they are fewer than asked. */
  update(g: SeatsGranted, welcomedAs?: string): void {
    this.factoryId = welcomedAs ?? this.factoryId;
    const { factoryId } = this;
    if (g.seats === undefined) return;
    const before = this.granted;
    this.granted = Math.max(1, Math.min(g.seats, this.asked));
    if (this.granted < this.asked) {
      if (this.warnedAt === this.granted) return;
      this.warnedAt = this.granted;
      const limit = g.seatLimit ?? g.seats;
      const asked = this.from ? `${this.from} ${this.asked}` : counted(this.asked, "seat");
      this.out.say(
        "⚠",
        "seats.capped",
        `${asked} is over factory ${this.label}'s seat limit of ${limit}: running ${counted(this.granted, "seat")} at a time` +
          ` — an operator raises it with \`gigafactory factory approve ${factoryId} --seats ${this.asked}\``,
        { factoryId, asked: this.asked, seats: this.granted, seatLimit: limit },
      );
    } else if (before < this.granted) {
      this.warnedAt = undefined;
      this.out.say("·", "seats.granted", `factory ${this.label} is granted ${counted(this.granted, "seat")} now`, {
        factoryId,
        seats: this.granted,
      });
    }
  }
}

/** `1 seat`, `2 seats` (core/counted): the supervisor's connected line says the seats granted so. */
export function plural(seats: number): string {
  return counted(seats, "seat");
}
