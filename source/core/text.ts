/*
Text that came from the cloud (names, descriptions, fail reasons) is hostile until proven otherwise: a volume named
"\u001B]52;c;…\u0007" could write to the user's clipboard, one named "\u001B[2J" could wipe the screen. Whatever shows
cloud text on a terminal (the TUI, the audit table) passes it through `sanitize()` first.
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
What a person sees as a resource's name: its name, sanitised, or its ID when that leaves nothing (no name, an empty one,
or one made only of control characters). Every screen, question and plan text names resources through this.
*/
export function displayName(resource: {id: string; name?: string}): string {
	const name = sanitize(resource.name);
	return name === '' ? resource.id : name;
}

/**
A byte count for people: `512 B`, `64.0 KiB`, `1.5 GiB` (binary units).
*/
export function formatBytes(bytes: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]!}`;
}
