export interface BenchBinaries {
  apiserver: string;
  registry: string;
}
export function ensureBench(options?: { log?: (message: string) => void }): Promise<BenchBinaries>;
