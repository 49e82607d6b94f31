/**
Short, human ages and sizes for table cells.
*/
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/**
`45s`, `12m`, `3h`, `4d`, `7w`, `2y` between an ISO timestamp and now; `—` when there is none.
*/
export function age(iso: string | undefined, now: Date): string {
	if (iso === undefined || iso === '') {
		return '—';
	}

	const then = Date.parse(iso);
	if (Number.isNaN(then)) {
		return '?';
	}

	const seconds = Math.max(0, Math.round((now.getTime() - then) / 1000));
	const steps: Array<[number, string]> = [[60, 's'], [60, 'm'], [24, 'h'], [7, 'd'], [52, 'w']];
	let value = seconds;
	for (const [size, unit] of steps) {
		if (value < size) {
			return `${value}${unit}`;
		}

		value = Math.floor(value / size);
	}

	return `${Math.floor(value)}y`;
}

/**
GiB for volumes and backups.
*/
export function gib(size: number | undefined): string {
	return size === undefined ? '—' : `${size}G`;
}

/**
Bytes for images.
*/
export function bytes(size: number | undefined): string {
	if (size === undefined) {
		return '—';
	}

	const units = ['B', 'K', 'M', 'G', 'T'];
	let value = size;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)}${units[unit] ?? ''}`;
}

/**
Breaks text into lines of at most `width` terminal cells at spaces (wrap-ansi; a word longer than the line stays whole on
a line of its own); `indent` starts every line after the first.
*/
export function wrap(text: string, width: number, indent = ''): string[] {
	// The first line keeps the text's own leading spaces (an indented paragraph); later lines start with `indent`.
	const leading = /^ */v.exec(text)?.[0] ?? '';
	const body = text.slice(leading.length);
	const options = {hard: false, trim: true};
	const first = wrapAnsi(body, Math.max(1, width - stringWidth(leading)), options).split('\n', 1)[0] ?? '';
	const rest = body.slice(first.length).trimStart();
	if (rest === '') {
		return [leading + first];
	}

	const more = wrapAnsi(rest, Math.max(1, width - stringWidth(indent)), options).split('\n');
	return [leading + first, ...more.map(line => indent + line)];
}
