// Math builtins (docs/flows.md "Node families"): inputs go through Python float(), results are Python floats
// (integral ones boxed as PyFloat so "5.0" renders like the reference). random_int returns an int.

import { pyFloat, pyMod, pyRound, toFloat, toInt, type PyFloat } from '../values.ts';
import { arg, type Inputs } from './common.ts';

type Num = number | PyFloat;
const f = (inputs: Inputs, key: string, dflt: number): number => toFloat(arg(inputs, key, dflt));

function power(base: number, exp: number): Num {
  if (base === 0 && exp < 0) throw new Error('0.0 cannot be raised to a negative power');
  if (base < 0 && Number.isFinite(exp) && !Number.isInteger(exp)) {
    throw new Error('power: a negative base with a fractional exponent gives a complex number');
  }
  const r = base ** exp;
  if (!Number.isFinite(r) && Number.isFinite(base) && Number.isFinite(exp)) throw new Error('(34, \'Numerical result out of range\')');
  return pyFloat(r);
}

/** int(float(x)) with a fallback for garbage, as random_int coerces its bounds. */
function intOr(v: unknown, dflt: number): number {
  try { return toInt(toFloat(v)); } catch { return dflt; }
}

function floatOr(v: unknown, dflt: number): number {
  try { return toFloat(v); } catch { return dflt; }
}

export const MATH: Record<string, (inputs: Inputs) => unknown> = {
  add: (i) => pyFloat(f(i, 'a', 0) + f(i, 'b', 0)),
  subtract: (i) => pyFloat(f(i, 'a', 0) - f(i, 'b', 0)),
  multiply: (i) => pyFloat(f(i, 'a', 0) * f(i, 'b', 0)),
  divide: (i) => {
    const a = f(i, 'a', 0), b = f(i, 'b', 1);
    if (b === 0) throw new Error('Division by zero');
    return pyFloat(a / b);
  },
  modulo: (i) => {
    const a = f(i, 'a', 0), b = f(i, 'b', 1);
    if (b === 0) throw new Error('Modulo by zero');
    return pyFloat(pyMod(a, b));
  },
  power: (i) => power(f(i, 'base', 0), f(i, 'exp', 1)),
  abs: (i) => pyFloat(Math.abs(f(i, 'value', 0))),
  round: (i) => pyRound(f(i, 'value', 0), toInt(arg(i, 'decimals', 0))),
  random_int: (i) => {
    let lo = intOr(arg(i, 'min', 0), 0), hi = intOr(arg(i, 'max', 100), 100);
    if (hi < lo) [lo, hi] = [hi, lo];
    return lo + Math.floor(Math.random() * (hi - lo + 1));
  },
  random_float: (i) => {
    const lo = floatOr(arg(i, 'min', 0), 0), hi = floatOr(arg(i, 'max', 1), 1);
    return pyFloat(lo === hi ? lo : lo + Math.random() * (hi - lo));
  },
};
