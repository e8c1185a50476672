import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CliError, optionsHelp, parseCommandLine, type OptionSpec, type ParsedCommandLine } from '../../../node/common/options';

const TABLE: OptionSpec[] = [
    { name: 'data-dir', type: 'string', env: 'T_DATA_DIR', default: '.data', help: 'where' },
    { name: 'port', type: 'port', env: 'T_PORT', default: 8000, help: 'listen port' },
    { name: 'memory', type: 'bool', env: 'T_MEMORY', default: false, help: 'in memory' },
    { name: 'stake', type: 'nano', env: 'T_STAKE', default: 1_500_000_000n, help: 'stake' },
    { name: 'models', type: 'list', env: 'T_MODELS', default: [], help: 'models' },
    { name: 'root', type: 'string', env: 'T_ROOT', required: true, help: 'root address' },
];

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedCommandLine {
    const p = parseCommandLine(TABLE, argv, env);
    if (p === 'help') throw new Error('unexpected help');
    return p;
}

describe('parseCommandLine', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cocoon-options-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('takes a flag over the env over the config file over the default, and says where each value came from', () => {
        const cfg = join(dir, 'precedence.json');
        writeFileSync(cfg, JSON.stringify({ port: 3, dataDir: 'from-config', stake: '2', models: ['a', 'b'], root: 'r-config' }));
        const p = parse(['--port', '1', '--config', cfg], { T_PORT: '2', T_DATA_DIR: 'from-env' });
        expect({ ...p.values }).toEqual({
            'data-dir': 'from-env',
            port: 1,
            memory: false,
            stake: 2_000_000_000n,
            models: ['a', 'b'],
            root: 'r-config',
            config: cfg,
        });
        expect({ ...p.sources }).toEqual({
            'data-dir': 'env',
            port: 'flag',
            memory: 'default',
            stake: 'config',
            models: 'config',
            root: 'config',
            config: 'flag',
        });
        // COCOON_CONFIG names the file when no --config flag does; every command takes it.
        expect(parse([], { COCOON_CONFIG: cfg }).values.port).toBe(3);
    });

    it('reads --name=value, --name value, a bare bool, --no-bool, and words as positionals', () => {
        const p = parse(['show', '--root=EQx', '--memory', 'extra', '--port=0', '--', '--not-a-flag']);
        expect(p.positionals).toEqual(['show', 'extra', '--not-a-flag']);
        expect([p.values.root, p.values.memory, p.values.port]).toEqual(['EQx', true, 0]);
        expect(parse(['--no-memory', '--root', 'r'], { T_MEMORY: 'yes' }).values.memory).toBe(false);
        expect(parseCommandLine(TABLE, ['--port', 'x', '-h'], {})).toBe('help');
    });

    it('rejects what it cannot read with a one-line usage error (exit 2) naming the option', () => {
        const fails = (argv: string[], env: NodeJS.ProcessEnv = { T_ROOT: 'r' }) => {
            try {
                parseCommandLine(TABLE, argv, env);
            } catch (e) {
                expect(e).toBeInstanceOf(CliError);
                expect((e as CliError).exitCode).toBe(2);
                return (e as Error).message;
            }
            throw new Error(`accepted ${argv.join(' ')}`);
        };
        expect(fails(['--bogus'])).toBe('unknown option --bogus (see --help)');
        expect(fails(['--port'])).toBe('--port needs a value (see --help)');
        expect(fails(['--port', '65536'])).toBe("--port: expected a port (0-65535), got '65536'");
        expect(fails([], { T_ROOT: 'r', T_PORT: '-1' })).toBe("T_PORT: expected a port (0-65535), got '-1'");
        expect(fails(['--stake', '1.0000000001'])).toBe("--stake: '1.0000000001' is not a TON amount (e.g. 1.5, at most 9 decimals)");
        expect(fails([], { T_ROOT: 'r', T_MEMORY: 'maybe' })).toBe("T_MEMORY: expected true or false, got 'maybe'");
        expect(fails([], {})).toBe('missing --root (or T_ROOT): root address');
    });

    it('looks config keys up as data: __proto__ and constructor are never read from Object.prototype', () => {
        const cfg = join(dir, 'proto.json');
        writeFileSync(cfg, '{"__proto__": {"port": 9}, "constructor": "x", "root": "r"}');
        const p = parse(['--config', cfg]);
        expect(p.values.port).toBe(8000);
        const table: OptionSpec[] = [{ name: 'constructor', type: 'string', env: 'T_C', help: 'a name that is also a prototype key' }];
        writeFileSync(join(dir, 'empty.json'), '{}');
        const r = parseCommandLine(table, ['--config', join(dir, 'empty.json')], {});
        expect(r !== 'help' && r.values.constructor).toBeUndefined();
    });

    it('names an unreadable or malformed config file', () => {
        writeFileSync(join(dir, 'bad.json'), '[1]');
        expect(() => parse(['--config', join(dir, 'missing.json')])).toThrow(/cannot read config file .*missing\.json: ENOENT/);
        expect(() => parse(['--config', join(dir, 'bad.json')])).toThrow(/must hold a JSON object of option values/);
    });
});

describe('optionsHelp', () => {
    it('shows every option with its env variable and default, --config and --help', () => {
        const help = optionsHelp('cocoon test [options]', 'Does a test.', TABLE);
        expect(help.split('\n').slice(0, 5)).toEqual(['Usage: cocoon test [options]', '', 'Does a test.', '', 'Options:']);
        expect(help).toContain(`  ${'--port <port>'.padEnd(28)} listen port\n  ${''.padEnd(28)} env T_PORT, default 8000\n`);
        expect(help).toContain(`  ${'--stake <TON>'.padEnd(28)} stake\n  ${''.padEnd(28)} env T_STAKE, default 1.5 TON\n`);
        expect(help).toContain(`  ${'--memory'.padEnd(28)} in memory\n  ${''.padEnd(28)} env T_MEMORY\n`);
        expect(help).toContain(`  ${''.padEnd(28)} env T_ROOT, required\n`);
        expect(help).toContain('--config <value>');
        expect(help).toContain('env COCOON_CONFIG');
        expect(help.endsWith(`  ${'-h, --help'.padEnd(28)} this text\n`)).toBe(true);
    });
});
