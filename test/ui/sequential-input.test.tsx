import test from 'ava';
import {useState} from 'react';
import {Text, useInput, type Key} from 'ink';
import {render} from 'ink-testing-library';
import {useSequentialInput} from '../../source/ui/sequential-input.js';

// Keys written one after the other in the same tick: Ink hands each to the handlers before React renders again.
function burst(stdin: {write(data: string): void}, ...keys: string[]): void {
	for (const key of keys) {
		stdin.write(key);
	}
}

// Waits until the frame shows what `done` looks for (or 3 s), then returns it.
async function frameWhen(app: {lastFrame(): string | undefined}, done: RegExp): Promise<string | undefined> {
	const end = Date.now() + 3000;
	while (!done.test(app.lastFrame() ?? '') && Date.now() < end) {
		// eslint-disable-next-line no-await-in-loop
		await new Promise(resolve => {
			setTimeout(resolve, 20);
		});
	}

	return app.lastFrame();
}

type Hook = (handler: (input: string, key: Key) => void) => void;

// A list cursor moved by j and an action (R) that records the row it acts on: what the app's actions do.
function makeList(useKeys: Hook) {
	return () => {
		const [cursor, setCursor] = useState(0);
		const [acted, setActed] = useState<number[]>([]);
		useKeys(input => {
			if (input === 'j') {
				setCursor(cursor + 1);
			} else if (input === 'R') {
				setActed([...acted, cursor]);
			}
		});
		return <Text>{`cursor ${cursor} acted [${acted.join(',')}]`}</Text>;
	};
}

const usePlainInput: Hook = handler => {
	useInput(handler);
};

const useSequential: Hook = handler => {
	useSequentialInput(handler);
};

test('keys that arrive together are handled one after the other, each seeing what the previous one did', async t => {
	const List = makeList(useSequential);
	const app = render(<List/>);
	t.teardown(app.unmount);
	await frameWhen(app, /cursor 0/v);
	burst(app.stdin, 'j', 'j', 'R', 'j', 'R');
	t.is(await frameWhen(app, /acted \[\d,\d\]/v), 'cursor 3 acted [2,3]');
});

test('without it, a key of the same burst sees the state from before the burst (the bug it fixes)', async t => {
	const List = makeList(usePlainInput);
	const app = render(<List/>);
	t.teardown(app.unmount);
	await frameWhen(app, /cursor 0/v);
	burst(app.stdin, 'j', 'j', 'R');
	t.is(await frameWhen(app, /acted \[\d/v), 'cursor 1 acted [0]');
});
