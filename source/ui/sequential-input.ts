/*
Ink hands every key of one read from the terminal to `useInput` handlers back to back, before React renders again, and
printable text that arrived together as one string; a handler that reads state from its render (the selected row, the
text typed so far) then sees the state from before the earlier keys of the same read. That happens whenever keys arrive
together: typing ahead over a slow SSH link, a paste, tmux's send-keys. `useSequentialInput` splits such a chunk into its
keys, queues them and hands them to the handler one per render, so each key sees the state the previous one left.
*/
import {
	useEffect,
	useLayoutEffect,
	useRef,
	useReducer,
} from 'react';
import {useInput, type Key} from 'ink';

type Press = {input: string; key: Key};

export type KeyHandler = (input: string, key: Key) => void;

/**
One character of a chunk of input as the key it stands for: Enter, Tab, Backspace and Ctrl+letter by their control
characters.
*/
export function keyOf(character: string, chunk: Key): Press {
	const plain: Key = {
		...chunk, return: false, tab: false, backspace: false, delete: false, shift: false,
	};
	switch (character) {
		case '\r':
		case '\n': {
			return {input: '', key: {...plain, return: true}};
		}

		case '\t': {
			return {input: '', key: {...plain, tab: true}};
		}

		case '\u{7F}':
		case '\b': {
			return {input: '', key: {...plain, backspace: true}};
		}

		default: {
			const code = character.codePointAt(0) ?? 0;
			// Ctrl+A … Ctrl+Z arrive as the control characters 1 … 26.
			return code >= 1 && code <= 26
				? {input: String.fromCodePoint(code + 96), key: {...plain, ctrl: true}}
				: {input: character, key: {...plain, shift: character !== character.toLowerCase()}};
		}
	}
}

/**
The keys of one `useInput` call: a chunk of several characters is split into one key per character.
*/
export function keysOf(input: string, key: Key): Press[] {
	const characters = [...input];
	return characters.length > 1 && !key.ctrl && !key.meta && !key.escape
		? characters.map(character => keyOf(character, key))
		: [{input, key}];
}

/**
`useInput` for handlers that read their render's state: a key is handled at once when nothing is waiting; keys that arrive
before the previous key's state has rendered wait their turn and are handled one per render, in order.
*/
export function useSequentialInput(handler: KeyHandler, options: {isActive?: boolean} = {}): void {
	const latest = useRef(handler);
	const pending = useRef<Press[]>([]);
	// A key was handled and React has not committed since: the handler's closure may be stale for the next key.
	const handledSinceCommit = useRef(false);
	const [, nextTurn] = useReducer((turn: number) => turn + 1, 0);
	useLayoutEffect(() => {
		latest.current = handler;
		handledSinceCommit.current = false;
	});
	useEffect(() => {
		const next = pending.current.shift();
		if (next === undefined) {
			return;
		}

		handledSinceCommit.current = true;
		latest.current(next.input, next.key);
		if (pending.current.length > 0) {
			// One render per key is the point: the next key is handled after this one's state has rendered.

			nextTurn();
		}
	});
	useInput((input, key) => {
		for (const press of keysOf(input, key)) {
			if (handledSinceCommit.current || pending.current.length > 0) {
				pending.current.push(press);
				nextTurn();
			} else {
				handledSinceCommit.current = true;
				latest.current(press.input, press.key);
			}
		}
	}, options);
}
