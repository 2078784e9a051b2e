// Types for launch.cjs (the Node.js starter of the local cloud).
export interface LocalCloudProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}
export function startLocalCloud(options?: { timeoutMs?: number; log?: string }): Promise<LocalCloudProcess>;
