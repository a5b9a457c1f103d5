/** Whether the process `pid` of this host has exited (never this process; false when it cannot be told). */
export function hasExited(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
