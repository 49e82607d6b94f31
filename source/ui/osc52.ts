/*
Copying without a clipboard tool: the OSC 52 escape asks the terminal itself to set the clipboard, which works over SSH and,
with `set -g set-clipboard on`, inside tmux (k9s and lazygit do the same).
*/
import {Buffer} from 'node:buffer';
import {sanitize} from './sanitize.js';

/**
The escape sequence that puts `text` on the system clipboard. The text is sanitised first: it cannot end the sequence.
*/
export function osc52(text: string): string {
	const payload = Buffer.from(sanitize(text), 'utf8').toString('base64');
	return `\u{1B}]52;c;${payload}\u{7}`;
}

/**
A clipboard writer for `services.copy`, writing to a stream (normally the program's stdout).
*/
export function osc52Writer(stream: {write(chunk: string): unknown}): (text: string) => void {
	return text => {
		stream.write(osc52(text));
	};
}
