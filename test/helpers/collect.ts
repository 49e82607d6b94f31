/**
Reads an async iterable to the end (`Array.fromAsync` is not in the project's TypeScript lib, ES2023).
*/
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
	const items: T[] = [];
	// eslint-disable-next-line unicorn/prefer-array-from-async -- not in the ES2023 lib this project compiles against.
	for await (const item of iterable) {
		items.push(item);
	}

	return items;
}
