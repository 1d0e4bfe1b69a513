/**
 * The search attributes are declared once (temporal/searchAttributes.ts). docker-compose.yml's dev server
 * and the README cannot import that declaration, so their lists are checked against it here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  devServerSearchAttributeArgs,
  SEARCH_ATTRIBUTE_KEYS,
  SEARCH_ATTRIBUTE_NAMES,
} from '../../temporal/searchAttributes';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

it('docker-compose.yml starts its dev server with exactly the declared search attributes', () => {
  const compose = read('docker-compose.yml');
  const flags = [...compose.matchAll(/^\s*- --search-attribute\s*\n\s*- (\S+)\s*$/gm)].map((m) => m[1]);
  const declared = devServerSearchAttributeArgs().filter((a) => a !== '--search-attribute');
  expect(flags).toEqual(declared);
});

it('the README lists exactly the declared search attributes, with their type', () => {
  const readme = read('README.md');
  const list = /Every import workflow sets the search attributes ([^.]*?)\(all (\w+)\)/.exec(
    readme.replace(/\s+/g, ' '),
  );
  expect(list, "the README's list of search attributes").not.toBeNull();
  expect([...list![1]!.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual(SEARCH_ATTRIBUTE_NAMES);
  expect(new Set(SEARCH_ATTRIBUTE_KEYS.map((k) => k.type))).toEqual(new Set([list![2]!.toUpperCase()]));
  // Every attribute a README query filters on is one of them.
  const queried = new Set([...readme.matchAll(/\b(Tributary[A-Z]\w*)\s*=/g)].map((m) => m[1]));
  for (const name of queried) expect(SEARCH_ATTRIBUTE_NAMES).toContain(name);
});
