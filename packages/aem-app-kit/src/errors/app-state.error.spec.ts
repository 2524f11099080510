import { AppStateError } from './app-state.error';

// Issue #16 point 5: "cannot read the runtime: the application is created" said what, not why.
describe('AppStateError', () => {
  it('says what to do about the status', () => {
    expect(new AppStateError('read the runtime', 'created').message).toBe(
      'cannot read the runtime: the application is created (not started: await app.start() first)',
    );
    expect(new AppStateError('start', 'stopped').message).toContain('create a new one');
    expect(new AppStateError('upgrade', 'running').message).toBe(
      'cannot upgrade: the application is running',
    );
  });
});
