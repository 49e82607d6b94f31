/*
Text that came from the cloud (names, descriptions, fail reasons, raw JSON) is hostile until proven otherwise: a volume named
"\u001B]52;c;…\u0007" could write to the user's clipboard, one named "\u001B[2J" could wipe the screen. Everything the cloud
said passes through `sanitize()` before it reaches an Ink <Text>.
*/

// ESC-introduced sequences: CSI (ESC [ … final byte), OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ … up to BEL or ST), and two-byte ESC x.
// eslint-disable-next-line no-control-regex, regexp/no-control-character -- matching control characters is the point
const escapeSequence = /\u{1B}(?:\[[\u{30}-\u{3F}]*[\u{20}-\u{2F}]*[\u{40}-\u{7E}]?|[PX\]^_][^\u{7}\u{1B}]*(?:\u{7}|\u{1B}\\)?|[\u{20}-\u{7E}]?)/gv;
// The same introducers in their 8-bit C1 form (CSI U+009B, OSC U+009D, DCS U+0090 …).
// eslint-disable-next-line no-control-regex, regexp/no-control-character -- matching control characters is the point
const c1Sequence = /\u{9B}[\u{30}-\u{3F}]*[\u{20}-\u{2F}]*[\u{40}-\u{7E}]?|[\u{90}\u{98}\u{9D}\u{9E}\u{9F}][^\u{7}\u{9C}]*(?:\u{7}|\u{9C})?/gv;
// Line breaks and tabs become one space each, so a name never spans two rows.
const whitespaceControl = /[\t\n\v\f\r\u{85}\u{2028}\u{2029}]/gv;
// Whatever control character is left (C0, DEL, C1), plus the bidirectional overrides that reorder what the eye sees.
// eslint-disable-next-line no-control-regex, regexp/no-control-character -- matching control characters is the point
const otherControl = /[\u{0}-\u{1F}\u{7F}-\u{9F}\u{200E}\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}]/gv;

/**
The text with every escape sequence removed, line breaks and tabs as spaces, and no control character left.
*/
export function sanitize(text: unknown): string {
	if (text === undefined || text === null) {
		return '';
	}

	const value = typeof text === 'string' ? text : JSON.stringify(text) ?? '';
	return value
		.replaceAll(escapeSequence, '')
		.replaceAll(c1Sequence, '')
		.replaceAll(whitespaceControl, ' ')
		.replaceAll(otherControl, '');
}

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
