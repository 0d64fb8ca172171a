export * from './broker-process';
