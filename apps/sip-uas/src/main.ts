import { runApp } from '@aem/app-kit';
import { delimited } from '@aem/tcp';
import { config } from './config';

// The handler module is loaded from its file so that SIGHUP can load it again (hot upgrade).
runApp({
  name: 'sip-uas',
  handlers: require.resolve('./handlers'),
  config,
  tcp: { port: config.port, framer: delimited({ delimiter: '\n' }) },
  http: config.httpPort === undefined ? undefined : { port: config.httpPort },
}).catch(() => process.exit(1));
