import { InvalidArgumentError } from '@aem/core';
import { RestartBudget } from './restart-budget';

describe('RestartBudget', () => {
  it('is exceeded by the intensity+1-th failure within the period', () => {
    const budget = new RestartBudget({ intensity: 2, periodMs: 1000 });
    expect(budget.fail(0)).toBe(false);
    expect(budget.fail(10)).toBe(false);
    expect(budget.fail(20)).toBe(true);
    expect(budget.recent).toBe(3);
  });

  it('forgets failures older than the period (a sliding window)', () => {
    const budget = new RestartBudget({ intensity: 1, periodMs: 100 });
    expect(budget.fail(0)).toBe(false);
    expect(budget.fail(100)).toBe(false); // the first one left the window
    expect(budget.fail(150)).toBe(true);
  });

  it('with intensity 0 the first failure exceeds it', () => {
    expect(new RestartBudget({ intensity: 0 }).fail(0)).toBe(true);
  });

  it('defaults to 3 failures within 5 s and refuses bad options', () => {
    const budget = new RestartBudget();
    expect([budget.intensity, budget.periodMs]).toEqual([3, 5000]);
    expect(() => new RestartBudget({ intensity: -1 })).toThrow(InvalidArgumentError);
    expect(() => new RestartBudget({ periodMs: 0 })).toThrow(InvalidArgumentError);
  });
});
