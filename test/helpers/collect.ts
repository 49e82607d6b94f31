/* eslint-disable unicorn/prefer-array-from-async -- Array.fromAsync is not in the ES2023 lib this project compiles against. */

/**
Reads an async iterable to the end.
*/
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
	const items: T[] = [];
	for await (const item of iterable) {
		items.push(item);
	}

	return items;
}
