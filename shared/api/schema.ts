// A small vocabulary for the arguments of the API contract: each schema knows what it accepts, says what is
// wrong in one line, and carries the TypeScript type of what passes (Infer<typeof schema>), so that the types the
// UI and the core use and the checks the hosts run come from one place and cannot drift apart. Pure TypeScript,
// no dependency: the checks run on untrusted messages in every host, and in the renderer's fake for tests.

/** Where a value sits: the command and the argument, for the message. */
export interface Where {
  cmd: string;
  name: string;
}

/**
 * A check of one value. `problem` returns what is wrong with it (the text after `cmd: `), or null when it fits.
 * `optional`: the argument may be left out (undefined). `__type` is never set: it only carries T for Infer.
 */
export interface Schema<T, O extends boolean = false> {
  /** A short description of what is accepted (for docs and tests). */
  readonly type: string;
  readonly optional: O;
  problem(v: unknown, at: Where): string | null;
  readonly __type?: T;
}

/** The TypeScript type of the values a schema accepts (undefined included for an optional one). */
export type Infer<S> = S extends Schema<infer T, infer O> ? (O extends true ? T | undefined : T) : never;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Shape = Record<string, Schema<any, boolean>>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<any, true> ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Value<S> = S extends Schema<infer T, any> ? T : never;

/** An object of named arguments: required ones as they are, optional ones as `name?:`. No field: nothing to give. */
export type InferShape<S extends Shape> = [keyof S] extends [never]
  ? Record<string, never>
  : Flatten<{ [K in Exclude<keyof S, OptionalKeys<S>>]: Value<S[K]> } & { [K in OptionalKeys<S>]?: Value<S[K]> }>;

/** A rule across several arguments: what is wrong (the text after `cmd: `), or null. */
export type Rule<T> = (args: T) => string | null;

/** A rule checked right after the argument `after` (so that the first fault reported is the first in order). */
export interface PlacedRule<T, K extends string = string> {
  after: K;
  rule: Rule<T>;
}

export interface ObjSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly fields: S;
  readonly rules: ReadonlyArray<Rule<InferShape<S>> | PlacedRule<InferShape<S>, keyof S & string>>;
}

function make<T>(type: string, optional: boolean, problem: (v: unknown, at: Where) => string | null): Schema<T, boolean> {
  return { type, optional, problem: (v, at) => (v === undefined && optional ? null : problem(v, at)) };
}

// Whether an argument may be left out is chosen by overloads on a literal `optional: true`, never by inferring a
// boolean type parameter: inside obj({...}) TypeScript would widen that parameter to `boolean`, and the argument
// would silently become required in the inferred type.
interface Optional {
  optional: true;
}
interface Required {
  optional?: false;
}

interface IntOptions {
  min?: number;
  max?: number;
}

/** An integer in [min, max] (default: 0 to 2^53 - 1, the integers a JSON number carries exactly). */
export function int(o: IntOptions & Optional): Schema<number, true>;
export function int(o?: IntOptions & Required): Schema<number>;
export function int(o: IntOptions & { optional?: boolean } = {}): Schema<number, boolean> {
  const min = o.min ?? 0;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  return make(`integer from ${min} to ${max}`, o.optional ?? false, (v, at) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `'${at.name}' must be an integer from ${min} to ${max}`);
}

interface NumOptions {
  above: number;
  max: number;
}

/** A finite number above `above` and at most `max`. */
export function num(o: NumOptions & Optional): Schema<number, true>;
export function num(o: NumOptions & Required): Schema<number>;
export function num(o: NumOptions & { optional?: boolean }): Schema<number, boolean> {
  return make(`number above ${o.above} and at most ${o.max}`, o.optional ?? false, (v, at) =>
    typeof v === 'number' && Number.isFinite(v) && v > o.above && v <= o.max ? null : `'${at.name}' must be a number above ${o.above} and at most ${o.max}`);
}

/** A string of at most `max` characters. */
export function str(o: { max: number } & Optional): Schema<string, true>;
export function str(o: { max: number } & Required): Schema<string>;
export function str(o: { max: number; optional?: boolean }): Schema<string, boolean> {
  return make(`string of at most ${o.max} characters`, o.optional ?? false, (v, at) =>
    typeof v === 'string' && v.length <= o.max ? null : `'${at.name}' must be a string of at most ${o.max} characters`);
}

/** true or false; always optional (a flag left out is false). */
export function bool(): Schema<boolean, true> {
  return make('true or false', true, (v, at) => (typeof v === 'boolean' ? null : `'${at.name}' must be true or false`)) as Schema<boolean, true>;
}

/** One of a fixed list of strings. `says` replaces "one of a, b" in the message. */
export function oneOf<const V extends readonly string[]>(values: V, o: { says?: string } & Optional): Schema<V[number], true>;
export function oneOf<const V extends readonly string[]>(values: V, o?: { says?: string } & Required): Schema<V[number]>;
export function oneOf(values: readonly string[], o: { says?: string; optional?: boolean } = {}): Schema<string, boolean> {
  const says = o.says ?? `one of ${values.join(', ')}`;
  return make(says, o.optional ?? false, (v, at) => ((values as readonly unknown[]).includes(v) ? null : `'${at.name}' must be ${says}`));
}

interface ArrayOptions {
  max: number;
  /** The whole message when anything is wrong (e.g. "a list of at most 10 ids"); else the item's own. */
  says?: string;
}

/** A list of at most `max` items. */
export function arrayOf<T>(item: Schema<T>, o: ArrayOptions & Optional): Schema<T[], true>;
export function arrayOf<T>(item: Schema<T>, o: ArrayOptions & Required): Schema<T[]>;
export function arrayOf<T>(item: Schema<T>, o: ArrayOptions & { optional?: boolean }): Schema<T[], boolean> {
  const says = o.says ?? `a list of at most ${o.max}`;
  return make(says, o.optional ?? false, (v, at) => {
    if (!Array.isArray(v) || v.length > o.max) return `'${at.name}' must be ${says}`;
    for (const x of v) {
      const p = item.problem(x, at);
      if (p) return o.says ? `'${at.name}' must be ${says}` : p;
    }
    return null;
  });
}

/** `base`, then a further condition on what base accepted (`why`: the text after `cmd: `, or null). */
export function refine<T>(base: Schema<T, true>, why: (v: T, at: Where) => string | null): Schema<T, true>;
export function refine<T>(base: Schema<T>, why: (v: T, at: Where) => string | null): Schema<T>;
export function refine<T>(base: Schema<T, boolean>, why: (v: T, at: Where) => string | null): Schema<T, boolean> {
  return {
    type: base.type,
    optional: base.optional,
    problem: (v, at) => base.problem(v, at) ?? (v === undefined ? null : why(v as T, at)),
  };
}

/** A check written by hand, where the vocabulary does not fit (its messages are its own). */
export function custom<T>(type: string, problem: (v: unknown, at: Where) => string | null, o: Optional): Schema<T, true>;
export function custom<T>(type: string, problem: (v: unknown, at: Where) => string | null, o?: Required): Schema<T>;
export function custom<T>(type: string, problem: (v: unknown, at: Where) => string | null, o: { optional?: boolean } = {}): Schema<T, boolean> {
  return make(type, o.optional ?? false, problem);
}

/** `base`, or null. */
export function nullable<T>(base: Schema<T>): Schema<T | null> {
  return { type: `${base.type} or null`, optional: false, problem: (v, at) => (v === null ? null : base.problem(v, at)) };
}

/**
 * Named arguments, checked in the order written, each rule across them right after the argument it is placed
 * after (or, unplaced, at the end). Unknown names are let through untouched: a newer UI may send an argument an
 * older core ignores.
 */
export function obj<S extends Shape>(fields: S, ...rules: Array<Rule<InferShape<S>> | PlacedRule<InferShape<S>, keyof S & string>>): ObjSchema<S> {
  const placed = (name: string | null) => rules.flatMap((r) => (typeof r === 'function' ? (name === null ? [r] : []) : r.after === name ? [r.rule] : []));
  const order = [...Object.entries(fields).map(([name, s]) => ({ name, s, then: placed(name) })), { name: null, s: null, then: placed(null) }];
  return {
    type: 'object',
    optional: false,
    fields,
    rules,
    problem(v, at) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'arguments must be an object';
      const a = v as Record<string, unknown>;
      for (const { name, s, then } of order) {
        const p = name !== null && s ? s.problem(a[name], { cmd: at.cmd, name }) : null;
        if (p) return p;
        for (const rule of then) {
          const q = rule(a as InferShape<S>);
          if (q) return q;
        }
      }
      return null;
    },
  };
}
