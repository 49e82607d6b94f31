/*
VS Code-style fuzzy matching for the command palette: the query's characters must appear in order; consecutive characters,
word starts and an early first match score higher.
*/

/**
A score (higher is better), or undefined when `query` does not match `text`.
*/
export function fuzzyScore(query: string, text: string): number | undefined {
	const needle = query.toLowerCase().replaceAll(/\s+/gv, '');
	if (needle === '') {
		return 0;
	}

	const haystack = text.toLowerCase();
	let score = 0;
	let position = 0;
	let previous = -2;
	for (const character of needle) {
		const found = haystack.indexOf(character, position);
		if (found === -1) {
			return undefined;
		}

		score += 1;
		if (found === previous + 1) {
			score += 5;
		}

		const before = found === 0 ? ' ' : haystack[found - 1] ?? ' ';
		if (/[\s\-.\/:_]/v.test(before)) {
			score += 3;
		}

		if (previous === -2) {
			score -= Math.min(found, 10) * 0.1;
		}

		previous = found;
		position = found + 1;
	}

	return score - (haystack.length * 0.01);
}

/**
The items that match, best first (ties keep their order).
*/
export function fuzzyFilter<T>(items: readonly T[], query: string, text: (item: T) => string): T[] {
	return items
		.map((item, index) => ({item, index, score: fuzzyScore(query, text(item))}))
		.filter((entry): entry is {item: T; index: number; score: number} => entry.score !== undefined)
		.toSorted((left, right) => (right.score === left.score ? left.index - right.index : right.score - left.score))
		.map(entry => entry.item);
}
