// Test preload (`node --import`): on SIGUSR2 the process gets a promise rejection nobody handles, as a bug
// in the job would produce; the fault suite sends the signal while the nightly job holds the company lock.
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('injected: a request promise nobody awaited'));
});
