/*
Text that came from the cloud (names, descriptions, fail reasons, raw JSON) is hostile until proven otherwise: a volume named
"\u001B]52;c;…\u0007" could write to the user's clipboard, one named "\u001B[2J" could wipe the screen. Everything the cloud
said passes through `sanitize()` before it reaches an Ink <Text>.
*/

// ESC-introduced sequences: CSI (ESC [ … final byte), OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ … up to BEL or ST), and two-byte ESC x.
// eslint-disable-next-line no-control-regex
const escapeSequence = /\u001B(?:\[[\u0030-\u003F]*[\u0020-\u002F]*[\u0040-\u007E]?|[PX\]^_][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[\u0020-\u007E]?)/gv;
// The same introducers in their 8-bit C1 form (CSI U+009B, OSC U+009D, DCS U+0090 …).
// eslint-disable-next-line no-control-regex
const c1Sequence = /\u009B[\u0030-\u003F]*[\u0020-\u002F]*[\u0040-\u007E]?|[\u0090\u0098\u009D\u009E\u009F][^\u0007\u009C]*(?:\u0007|\u009C)?/gv;
// Line breaks and tabs become one space each, so a name never spans two rows.
const whitespaceControl = /[\t\n\v\f\r\u0085\u2028\u2029]/gv;
// Whatever control character is left (C0, DEL, C1), plus the bidirectional overrides that reorder what the eye sees.
// eslint-disable-next-line no-control-regex
const otherControl = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/gv;

/**
The text with every escape sequence removed, line breaks and tabs as spaces, and no control character left.
*/
export function sanitize(text: unknown): string {
	if (text === undefined || text === null) {
		return '';
	}

	const value = typeof text === 'string' ? text : String(text);
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

function cellWidth(character: string): number {
	const code = character.codePointAt(0) ?? 0;
	if (code === 0 || (code >= 0x3_00 && code <= 0x3_6F) || code === 0x20_0D || (code >= 0xFE_00 && code <= 0xFE_0F)) {
		return 0;
	}

	const isWide = (code >= 0x11_00 && code <= 0x11_5F)
		|| (code >= 0x2E_80 && code <= 0xA4_CF && code !== 0x30_3F)
		|| (code >= 0xAC_00 && code <= 0xD7_A3)
		|| (code >= 0xF9_00 && code <= 0xFA_FF)
		|| (code >= 0xFE_30 && code <= 0xFE_4F)
		|| (code >= 0xFF_00 && code <= 0xFF_60)
		|| (code >= 0xFF_E0 && code <= 0xFF_E6)
		|| (code >= 0x1_F3_00 && code <= 0x1_F6_4F)
		|| (code >= 0x1_F9_00 && code <= 0x1_F9_FF)
		|| (code >= 0x2_00_00 && code <= 0x3_FF_FD);
	return isWide ? 2 : 1;
}
