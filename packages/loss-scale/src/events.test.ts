import {describe, expect, it} from 'vitest';
import {ListenerSet} from './events.js';

describe('ListenerSet', () => {
  it('calls listeners in order and removes them', () => {
    const set = new ListenerSet<number>();
    const seen: string[] = [];
    const offA = set.add((e) => seen.push(`a${e}`));
    set.add((e) => seen.push(`b${e}`));
    set.emit(1);
    offA();
    offA();
    set.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(set.size).toBe(1);
  });

  it('lets a listener remove itself during emit', () => {
    const set = new ListenerSet<number>();
    const seen: number[] = [];
    const off = set.add((e) => {
      seen.push(e);
      off();
    });
    set.add((e) => seen.push(e * 10));
    set.emit(1);
    set.emit(2);
    expect(seen).toEqual([1, 10, 20]);
  });

  it('rejects a non-function', () => {
    expect(() => new ListenerSet<number>().add(5 as never)).toThrow(
      'LossScaleOptimizer: onUpdate() needs a function; got number.',
    );
  });
});
