// The Milvus room's configuration and storage layout: the package template filled in as its
// launcher does, every listener pinned to loopback, and index files found by their path.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, renderTemplate, standaloneConfig } from '../../src/systems/milvus/config.ts';
import { indexFiles, storageRoot } from '../../src/systems/milvus/storage.ts';

describe('milvus.yaml', () => {
  it('fills placeholders with values, else their defaults, and refuses one without either', () => {
    expect(renderTemplate('a: {{ proxy_port(int): 19530 }}', { proxy_port: 4 })).toBe('a: 4');
    expect(renderTemplate('a: {{ x(str): dflt }}', {})).toBe('a: dflt');
    expect(() => renderTemplate('a: {{ y }}', {})).toThrow(/no value for/);
  });

  it('pins every registered address and etcd to the host, data under the data directory', () => {
    const template = [
      'proxy:',
      '  port: {{ proxy_port(int): 19530 }}',
      'localStorage:',
      '  path: {{ local_storage_dir(str): /var/lib/milvus }}',
      'common:',
      '  session:',
      '    ttl: 30',
    ].join('\n');
    const { yaml, sessionTtlSeconds } = standaloneConfig(template, {
      host: '127.0.0.1',
      ports: DEFAULT_PORTS,
      etcdConfig: '/x/embed-etcd.yaml',
      dataDir: '/x/data',
      logsDir: '/x/logs',
      storageType: 'local',
    });
    const doc = parseDocument(yaml);
    expect(sessionTtlSeconds).toBe(30);
    expect(doc.getIn(['proxy', 'port'])).toBe(19530);
    expect(doc.getIn(['proxy', 'ip'])).toBe('127.0.0.1');
    expect(doc.getIn(['etcd', 'endpoints'])).toBe('127.0.0.1:2379');
    expect(doc.getIn(['etcd', 'use', 'embed'])).toBe(true);
    expect(doc.getIn(['localStorage', 'path'])).toBe('/x/data');
  });
});

describe('Milvus storage layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fd-milvus-room-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the index files of the given segments under localStorage.path', () => {
    const root = join(dir, 'data');
    const config = join(dir, 'milvus.yaml');
    writeFileSync(config, `localStorage:\n  path: ${root}\n`);
    expect(storageRoot(config)).toBe(root);
    for (const seg of ['11', '12']) {
      mkdirSync(join(root, 'index_files', '7', '1', '3', seg), { recursive: true });
      writeFileSync(join(root, 'index_files', '7', '1', '3', seg, 'IVF'), `index of ${seg}`);
    }
    writeFileSync(join(root, 'index_files', 'stray'), 'not an index file');
    expect(indexFiles(root).map((f) => f.segmentId)).toEqual(['11', '12']);
    const [f] = indexFiles(root, [12]);
    expect(f).toMatchObject({ buildId: '7', partitionId: '3', segmentId: '12', file: 'IVF', bytes: 11 });
    expect(f!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
