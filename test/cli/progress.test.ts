import { expect, test } from 'bun:test';
import { progressReporter } from '../../src/cli/progress.ts';

const fake = (isTTY: boolean) => {
  const s = { isTTY, text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s;
};

test('on a terminal: one redrawn bar per phase, ended with a newline', () => {
  const s = fake(true);
  const p = progressReporter(s as unknown as NodeJS.WriteStream);
  p.update('runs', 1, 4);
  p.finish('runs', 4, 4);
  expect(s.text).toContain('\r\x1b[2Kruns       [#######---------------------] 1/4');
  expect(s.text.endsWith('[############################] 4/4\n')).toBe(true);
});

test('elsewhere: plain status lines, no control characters', () => {
  const s = fake(false);
  const p = progressReporter(s as unknown as NodeJS.WriteStream);
  p.update('ledger', 0, 10);
  p.update('ledger', 5, 10);
  p.finish('ledger', 10, 10);
  expect(s.text).toBe('ledger: 10 to check...\nledger: 10/10 checked\n');
});
