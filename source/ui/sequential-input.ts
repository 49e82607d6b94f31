/*
Ink hands every key of one read from the terminal to `useInput` handlers back to back, before React renders again; a
handler that reads state from its render (the selected row, the text typed so far) then sees the state from before the
earlier keys of the same read. That happens whenever keys arrive together: typing ahead over a slow SSH link, a terminal
that sends a burst, tmux's send-keys. `useSequentialInput` queues the keys and hands them to the handler one per render,
so each key sees the state the previous one left.
*/
import {useEffect, useEffectEvent, useState} from 'react';
import {useInput, type Key} from 'ink';

type Press = {input: string; key: Key};

export function useSequentialInput(handler: (input: string, key: Key) => void, options: {isActive?: boolean} = {}): void {
	const [queue, setQueue] = useState<readonly Press[]>([]);
	const handle = useEffectEvent(handler);
	useInput((input, key) => {
		setQueue(pending => [...pending, {input, key}]);
	}, options);
	useEffect(() => {
		const next = queue[0];
		if (next === undefined) {
			return;
		}

		// One render per key is the point: the next key is handled after this one's state has rendered.
		// eslint-disable-next-line react-hooks/set-state-in-effect
		setQueue(pending => pending.slice(1));
		handle(next.input, next.key);
	}, [queue]);
}
