import { InvalidConfigError } from '@aem/app-kit';
import { availableParallelism } from 'node:os';
import { configFromEnv } from './config';

describe('configFromEnv', () => {
  describe('SIP_BACKEND', () => {
    it('is userspace by default, never auto', () => {
      expect(configFromEnv({}).backend).toBe('userspace');
      expect(configFromEnv({ SIP_BACKEND: '' }).backend).toBe('userspace');
    });

    it('takes userspace and kmod', () => {
      expect(configFromEnv({ SIP_BACKEND: 'userspace' }).backend).toBe('userspace');
      expect(configFromEnv({ SIP_BACKEND: 'kmod' }).backend).toBe('kmod');
    });

    it.each(['auto', 'KMOD', 'kernel', ' kmod'])('refuses %j, naming the variable', (value) => {
      const attempt = () => configFromEnv({ SIP_BACKEND: value });
      expect(attempt).toThrow(InvalidConfigError);
      expect(attempt).toThrow(
        `SIP_BACKEND must be 'userspace' or 'kmod', got ${JSON.stringify(value)}`,
      );
    });

    it('serves one process on kmod, and refuses more workers, saying why', () => {
      expect(configFromEnv({ SIP_BACKEND: 'kmod' }).workers).toBe(1);
      expect(configFromEnv({ SIP_BACKEND: 'kmod', SIP_WORKERS: '1' }).workers).toBe(1);
      const attempt = () => configFromEnv({ SIP_BACKEND: 'kmod', SIP_WORKERS: '2' });
      expect(attempt).toThrow(InvalidConfigError);
      expect(attempt).toThrow(/SIP_WORKERS must be 1 with SIP_BACKEND=kmod .*SO_REUSEPORT/);
    });

    it('keeps one worker per CPU by default on userspace', () => {
      expect(configFromEnv({}).workers).toBe(availableParallelism());
      expect(configFromEnv({ SIP_WORKERS: '3' }).workers).toBe(3);
    });
  });
});
