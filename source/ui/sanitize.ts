/*
Everything the cloud said passes through `sanitize()` (core/text.ts) before it reaches an Ink <Text>; `truncate()` then fits
it to its column. Widths are terminal cells as string-width counts them (Ink's own measure: wide CJK characters and emoji
take two, combining marks and joiners none), so what is cut here lines up with what Ink draws.
*/
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';

export {displayName, sanitize} from '../core/text.js';

/**
Cuts `text` to `width` terminal cells, ending with `…` when cut; a wide character that would straddle the edge is left out.
*/
export function truncate(text: string, width: number): string {
	return width <= 0 ? '' : cliTruncate(text, width);
}

/**
Pads (or cuts) `text` to exactly `width` cells.
*/
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	const cut = truncate(text, width);
	const padding = ' '.repeat(Math.max(0, width - displayWidth(cut)));
	return align === 'right' ? padding + cut : cut + padding;
}

/**
The terminal cells `text` takes.
*/
export function displayWidth(text: string): number {
	return stringWidth(text);
}
