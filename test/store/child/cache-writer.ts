/*
Child process for test/store/private-files.test.ts: writes one inventory of about `size` bytes into the cache in
`directory`, then prints "written". Run under a file-size limit it dies (SIGXFSZ) in the middle of the write.
*/
import process from 'node:process';
import {createInventoryCache} from '../../../source/store/cache.js';
import type {Inventory} from '../../../source/core/model.js';

const [directory, label, size] = process.argv.slice(2);
const inventory = {projectId: label, volumes: [], filler: 'x'.repeat(Number(size))} as unknown as Inventory;
const cache = createInventoryCache({directory: directory!});
await cache.set('cloud', 'project', inventory);
await cache.close();
process.stdout.write('written\n');
