// What every TimescaleDB driver and client agrees on: the component's name, the pgBackRest stanza,
// the database users and the application database, and the credentials a driver publishes in
// its info (Platform.info('timescaledb').credentials).

export const COMPONENT = 'timescaledb';
export const STANZA = 'timescaledb';
export const APP_DATABASE = 'slo_scout';
export const APP_USER = 'slo_scout';
export const SUPERUSER = 'postgres';
export const REPLICATION_USER = 'replicator';

export interface Credentials {
  superuser: { username: string; password: string };
  replication: { username: string; password: string };
  app: { username: string; password: string; database: string };
}
