import { buildParser } from '../../src/cli-args';
import type { Plugin } from '../../src/sdk';
import { allPlugins } from '../../src/registry';
import { verifyMethod, verifySupport } from '../../src/verify/support';

describe('goshift verify: the pairs it accepts and the help that lists them', () => {
  const plugins = allPlugins();

  test('every built-in pair verifies: same-store mysql and redis with their own verifier, the rest by reading the target back', () => {
    const methods = Object.fromEntries(plugins.flatMap((from) => plugins.map((to) => [`${from.type}->${to.type}`, verifyMethod(from, to)])));
    expect(Object.values(methods).every((m) => m !== null)).toBe(true);
    expect(Object.entries(methods).filter(([, m]) => m === 'own').map(([pair]) => pair).sort()).toEqual(['mysql->mysql', 'redis->redis']);
    const writeOnly: Plugin = { type: 'sink', connectionSchema: {}, writer: plugins[0].writer };
    expect(verifyMethod(plugins[0], writeOnly)).toBeNull();
  });

  test('goshift --help lists every target verify reads back and every own verifier, from the same rule', async () => {
    const help = await buildParser(['--help']).getHelp();
    const text = help.replace(/\s+/g, ' ');
    expect(text).toContain(`compare the target of a task with its source (${verifySupport(plugins)}); exit 9 when they differ`);
    expect(text).not.toMatch(/\(mysql->mysql, redis->redis\)/);
    for (const to of plugins) {
      if (plugins.some((from) => verifyMethod(from, to) !== null)) expect(verifySupport(plugins)).toMatch(new RegExp(`target is [^;]*\\b${to.type}\\b`));
    }
    expect(verifySupport(plugins)).toBe('every pair whose target is dynamodb, file, mysql, redis or s3; mysql->mysql and redis->redis with their own verifier');
  });
});
