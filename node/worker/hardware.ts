/**
 * The worker's hardware profile, announced in its stats: the GPU(s) nvidia-smi reports, else the CPU.
 * Flags (--gpu, --vram-mb) override what is detected, for hosts where detection is not possible.
 */
import { execFile } from 'child_process';
import { cpus, totalmem } from 'os';
import type { HardwareProfile } from '../common/hardware';

export type { HardwareProfile };

function nvidiaSmi(timeoutMs: number): Promise<{ name: string; vramMb: number }[]> {
    return new Promise((resolve) => {
        execFile(
            'nvidia-smi',
            ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'],
            { timeout: timeoutMs },
            (err, stdout) => {
                if (err) return resolve([]);
                resolve(
                    stdout
                        .split('\n')
                        .map((l) => l.split(',').map((s) => s.trim()))
                        .filter((p) => p.length >= 2 && p[0])
                        .map(([name, mb]) => ({ name, vramMb: Number(mb) || 0 })),
                );
            },
        );
    });
}

export async function detectHardware(override: { gpu?: string; vramMb?: number } = {}, timeoutMs = 3000): Promise<HardwareProfile> {
    const gpus = override.gpu ? [] : await nvidiaSmi(timeoutMs);
    const cpu = cpus();
    return {
        gpu: override.gpu ?? (gpus.length ? gpus[0].name : 'none (CPU inference)'),
        vramMb: override.vramMb ?? gpus.reduce((s, g) => s + g.vramMb, 0),
        gpuCount: override.gpu ? 1 : gpus.length,
        cpu: cpu[0]?.model.trim() ?? 'unknown',
        cpuCores: cpu.length,
        ramMb: Math.round(totalmem() / 2 ** 20),
    };
}
