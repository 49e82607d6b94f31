/*
No module of source/ or bench/ imports itself through others (issue 17.3: the demo cloud's index.ts <-> scale.ts <->
standalone.ts and bench's run.ts <-> audit.ts/tui.ts were such circles). Type-only and dynamic imports count: madge
counts them too, and a circle of types is still a circle to read.
*/
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(directory: string): string[] {
	return readdirSync(directory, {withFileTypes: true, recursive: true})
		.filter(entry => entry.isFile() && /\.tsx?$/v.test(entry.name) && !entry.name.endsWith('.d.ts'))
		.map(entry => path.join(entry.parentPath, entry.name));
}

/**
The file a relative specifier names: `./x.js` is `./x.ts` or `./x.tsx` in the sources.
*/
function resolveSpecifier(from: string, specifier: string): string | undefined {
	const target = path.resolve(path.dirname(from), specifier);
	const candidates = [target, target.replace(/\.js$/v, '.ts'), target.replace(/\.js$/v, '.tsx'), target.replace(/\.jsx$/v, '.tsx')];
	return candidates.find(candidate => statSync(candidate, {throwIfNoEntry: false})?.isFile());
}

/**
What a file imports by relative path (packages such as node:fs or ink are not part of the graph). TypeScript's own
scanner: it skips comments and strings and sees `import type`, `export … from` and `import()`.
*/
function relativeImports(file: string): string[] {
	const {importedFiles} = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
	return importedFiles.map(imported => imported.fileName).filter(fileName => fileName.startsWith('.'));
}

type Graph = Map<string, Set<string>>;

function importGraph(files: string[]): {graph: Graph; unresolved: string[]} {
	const graph: Graph = new Map();
	const unresolved: string[] = [];
	for (const file of files) {
		const edges = new Set<string>();
		for (const fileName of relativeImports(file)) {
			const target = resolveSpecifier(file, fileName);
			if (target === undefined) {
				unresolved.push(`${path.relative(root, file)}: ${fileName}`);
			} else {
				edges.add(target);
			}
		}

		graph.set(file, edges);
	}

	return {graph, unresolved};
}

/**
The circles a depth-first walk closes, each as the files along it (the first repeated at the end): empty exactly when
the graph has no circle.
*/
function findCycles(graph: Graph): string[][] {
	const cycles: string[][] = [];
	const done = new Set<string>();
	const stack: string[] = [];
	const onStack = new Set<string>();
	const visit = (node: string): void => {
		stack.push(node);
		onStack.add(node);
		for (const next of graph.get(node) ?? []) {
			if (onStack.has(next)) {
				cycles.push([...stack.slice(stack.indexOf(next)), next]);
			} else if (!done.has(next) && graph.has(next)) {
				visit(next);
			}
		}

		stack.pop();
		onStack.delete(node);
		done.add(node);
	};

	for (const node of graph.keys()) {
		if (!done.has(node)) {
			visit(node);
		}
	}

	return cycles.map(cycle => cycle.map(file => path.relative(root, file)));
}

test('no import circle in source/ or bench/ (type-only and dynamic imports included)', t => {
	const files = [...sourceFiles(path.join(root, 'source')), ...sourceFiles(path.join(root, 'bench'))];
	const {graph, unresolved} = importGraph(files);
	t.deepEqual(unresolved, [], 'every relative import resolves to a file');
	// The scanner sees a dynamic import and an import of a folder's index: without them the check would be blind.
	t.true(graph.get(path.join(root, 'bench/run.ts'))?.has(path.join(root, 'bench/audit.ts')));
	t.true(graph.get(path.join(root, 'source/demo-cloud/index.ts'))?.has(path.join(root, 'source/demo-cloud/cinder/index.ts')));
	t.deepEqual(findCycles(graph), []);
});
