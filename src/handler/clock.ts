/** Time source of the handler: one place, so that a simulation can run it on a virtual clock. */
export const clock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};
