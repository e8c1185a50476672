/** A worker's hardware profile: detected by the worker, announced to its proxies, shown in both stats. */
export interface HardwareProfile {
    gpu: string;
    vramMb: number;
    gpuCount: number;
    cpu: string;
    cpuCores: number;
    ramMb: number;
}
