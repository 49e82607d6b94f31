/*
Everything the cloud said passes through `sanitize()` (core/text.ts) before it reaches an Ink <Text>; `truncate()` then fits
it to its column.
*/

export {sanitize} from '../core/text.js';

/**
Cuts `text` to `width` terminal cells (one per code point; wide CJK characters count as two), ending with `…` when cut.
*/
export function truncate(text: string, width: number): string {
	if (width <= 0) {
		return '';
	}

	const characters = [...text];
	let used = 0;
	let result = '';
	for (const [index, character] of characters.entries()) {
		const cells = cellWidth(character);
		const remaining = characters.length - index;
		if (used + cells > width || (used + cells === width && remaining > 1)) {
			return used + 1 <= width ? `${result}…` : result;
		}

		result += character;
		used += cells;
	}

	return result;
}

/**
Pads (or cuts) `text` to exactly `width` cells.
*/
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	const cut = truncate(text, width);
	const padding = ' '.repeat(Math.max(0, width - displayWidth(cut)));
	return align === 'right' ? padding + cut : cut + padding;
}

export function displayWidth(text: string): number {
	let width = 0;
	for (const character of text) {
		width += cellWidth(character);
	}

	return width;
}

// Code point ranges (inclusive) a terminal draws in no cell (combining marks, joiners, variation selectors) or in two (CJK, emoji).
const zeroWidth: ReadonlyArray<readonly [number, number]> = [[0, 0], [0x3_00, 0x3_6F], [0x20_0B, 0x20_0D], [0xFE_00, 0xFE_0F]];
const doubleWidth: ReadonlyArray<readonly [number, number]> = [
	[0x11_00, 0x11_5F],
	[0x2E_80, 0x30_3E],
	[0x30_40, 0xA4_CF],
	[0xAC_00, 0xD7_A3],
	[0xF9_00, 0xFA_FF],
	[0xFE_30, 0xFE_4F],
	[0xFF_00, 0xFF_60],
	[0xFF_E0, 0xFF_E6],
	[0x1_F3_00, 0x1_F6_4F],
	[0x1_F9_00, 0x1_F9_FF],
	[0x2_00_00, 0x3_FF_FD],
];

function isIn(ranges: ReadonlyArray<readonly [number, number]>, code: number): boolean {
	return ranges.some(([low, high]) => code >= low && code <= high);
}

function cellWidth(character: string): number {
	const code = character.codePointAt(0) ?? 0;
	if (isIn(zeroWidth, code)) {
		return 0;
	}

	return isIn(doubleWidth, code) ? 2 : 1;
}
