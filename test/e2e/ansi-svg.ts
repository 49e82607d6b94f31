/*
Turns a terminal screen captured with its SGR sequences (`tmux capture-pane -e`) into an SVG: one <text> per line, one
<tspan> per run of equal style, on a dark background. No fonts are embedded and nothing is fetched.
*/

export type Style = {
	fg?: string;
	bg?: string;
	bold?: boolean;
	dim?: boolean;
	inverse?: boolean;
	underline?: boolean;
};

export type Run = {text: string; style: Style};

const palette = [
	'#1e1e1e',
	'#f14c4c',
	'#23d18b',
	'#f5f543',
	'#3b8eea',
	'#d670d6',
	'#29b8db',
	'#e5e5e5',
	'#666666',
	'#ff6b6b',
	'#5af78e',
	'#f4f99d',
	'#6cb6ff',
	'#ff92df',
	'#9aedfe',
	'#ffffff',
];
const foreground = '#d4d4d4';
const background = '#0f1419';

function xterm256(index: number): string {
	if (index < 16) {
		return palette[index] ?? foreground;
	}

	if (index >= 232) {
		const level = 8 + ((index - 232) * 10);
		return `rgb(${level},${level},${level})`;
	}

	const cube = index - 16;
	const channel = (value: number) => (value === 0 ? 0 : 55 + (value * 40));
	return `rgb(${channel(Math.floor(cube / 36))},${channel(Math.floor(cube / 6) % 6)},${channel(cube % 6)})`;
}

const simpleCodes: Record<number, (style: Style) => Style> = {
	0: () => ({}),
	1: style => ({...style, bold: true}),
	2: style => ({...style, dim: true}),
	4: style => ({...style, underline: true}),
	7: style => ({...style, inverse: true}),
	22: ({bold: _bold, dim: _dim, ...rest}) => rest,
	24: ({underline: _underline, ...rest}) => rest,
	27: ({inverse: _inverse, ...rest}) => rest,
	39: ({fg: _fg, ...rest}) => rest,
	49: ({bg: _bg, ...rest}) => rest,
};

function basicColor(code: number): {fg?: string; bg?: string} | undefined {
	if (code >= 30 && code <= 37) {
		return {fg: palette[code - 30]};
	}

	if (code >= 90 && code <= 97) {
		return {fg: palette[code - 90 + 8]};
	}

	if (code >= 40 && code <= 47) {
		return {bg: palette[code - 40]};
	}

	return code >= 100 && code <= 107 ? {bg: palette[code - 100 + 8]} : undefined;
}

/**
Applies one SGR parameter list to a style.
*/
export function applySgr(style: Style, parameters: number[]): Style {
	let next: Style = {...style};
	let index = 0;
	while (index < parameters.length) {
		const code = parameters[index] ?? 0;
		const simple = simpleCodes[code];
		const color = basicColor(code);
		const target = code === 38 ? 'fg' : 'bg';
		if (simple !== undefined) {
			next = simple(next);
		} else if (color !== undefined) {
			next = {...next, ...color};
		} else if ((code === 38 || code === 48) && parameters[index + 1] === 5) {
			next = {...next, [target]: xterm256(parameters[index + 2] ?? 0)};
			index += 2;
		} else if ((code === 38 || code === 48) && parameters[index + 1] === 2) {
			next = {...next, [target]: `rgb(${parameters[index + 2] ?? 0},${parameters[index + 3] ?? 0},${parameters[index + 4] ?? 0})`};
			index += 4;
		}

		index++;
	}

	return next;
}

/**
One line of captured text as styled runs; the style carries over from the line before, as on a terminal.
*/
export function parseLine(line: string, initial: Style): {runs: Run[]; style: Style} {
	const runs: Run[] = [];
	let style = initial;
	const escape = String.fromCodePoint(0x1B);
	const parts = line.split(escape);
	const push = (text: string) => {
		if (text !== '') {
			runs.push({text, style});
		}
	};

	push(parts[0] ?? '');
	for (const part of parts.slice(1)) {
		const match = /^\[(?<parameters>[\d;]*)m/v.exec(part);
		if (match) {
			const parameters = (match.groups?.['parameters'] ?? '').split(';').filter(value => value !== '').map(Number);
			style = applySgr(style, parameters.length === 0 ? [0] : parameters);
			push(part.slice(match[0].length));
		} else {
			// Any other sequence (cursor moves, OSC): drop its introducer, keep nothing of it.
			// eslint-disable-next-line no-control-regex, regexp/no-control-character -- BEL ends an OSC sequence
			const other = /^(?:\[[\d;?]*[A-Za-z]|\][^\u{7}]*\u{7}|.)/v.exec(part);
			push(part.slice(other?.[0].length ?? 0));
		}
	}

	return {runs, style};
}

function escapeXml(text: string): string {
	return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/**
The SVG of a captured screen of `columns` × `rows` cells.
*/
export function ansiToSvg(screen: string, options: {columns: number; rows: number; title?: string}): string {
	const cellWidth = 8.4;
	const lineHeight = 17;
	const padding = 12;
	const width = Math.ceil((options.columns * cellWidth) + (padding * 2));
	const height = Math.ceil((options.rows * lineHeight) + (padding * 2));
	const lines = screen.replace(/\n$/v, '').split('\n').slice(0, options.rows);
	const body: string[] = [];
	let style: Style = {};
	for (const [row, line] of lines.entries()) {
		const parsed = parseLine(line, style);
		style = parsed.style;
		let column = 0;
		const y = padding + (row * lineHeight);
		for (const run of parsed.runs) {
			const {length} = [...run.text];
			let fg = run.style.fg ?? foreground;
			let {bg} = run.style;
			if (run.style.inverse === true) {
				[fg, bg] = [bg ?? background, fg];
			}

			const x = padding + (column * cellWidth);
			if (bg !== undefined) {
				body.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${(length * cellWidth).toFixed(1)}" height="${lineHeight}" fill="${bg}"/>`);
			}

			if (run.text.trim() !== '') {
				const attributes = [
					`x="${x.toFixed(1)}"`,
					`y="${y + 13}"`,
					`fill="${fg}"`,
					run.style.bold === true ? 'font-weight="bold"' : '',
					run.style.dim === true ? 'opacity="0.6"' : '',
					run.style.underline === true ? 'text-decoration="underline"' : '',
					`textLength="${(length * cellWidth).toFixed(1)}"`,
					'lengthAdjust="spacingAndGlyphs"',
				].filter(attribute => attribute !== '').join(' ');
				body.push(`<text ${attributes}>${escapeXml(run.text)}</text>`);
			}

			column += length;
		}
	}

	const title = options.title === undefined ? '' : `<title>${escapeXml(options.title)}</title>`;
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
		title,
		`<rect width="100%" height="100%" rx="6" fill="${background}"/>`,
		'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve">',
		...body,
		'</g>',
		'</svg>',
		'',
	].join('\n');
}
