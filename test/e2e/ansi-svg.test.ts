import test from 'ava';
import {ansiToSvg, applySgr, parseLine} from './ansi-svg.js';

const escape = String.fromCodePoint(0x1B);

test('SGR codes set and reset colours and attributes', t => {
	t.deepEqual(applySgr({}, [1, 31]), {bold: true, fg: '#f14c4c'});
	t.deepEqual(applySgr({bold: true, fg: '#f14c4c'}, [22]), {fg: '#f14c4c'});
	t.deepEqual(applySgr({bold: true}, [0]), {});
	t.deepEqual(applySgr({}, [38, 5, 196]), {fg: 'rgb(255,0,0)'});
	t.deepEqual(applySgr({}, [48, 2, 1, 2, 3]), {bg: 'rgb(1,2,3)'});
});

test('a captured line splits into styled runs, and the style carries to the next line', t => {
	const {runs, style} = parseLine(`plain ${escape}[32m✔ ok${escape}[0m rest ${escape}[7mselected`, {});
	t.deepEqual(runs.map(run => run.text), ['plain ', '✔ ok', ' rest ', 'selected']);
	t.is(runs[1]?.style.fg, '#23d18b');
	t.deepEqual(style, {inverse: true});
});

test('the SVG has one text per styled run, escapes XML and draws backgrounds for inverse text', t => {
	const svg = ansiToSvg(`a <b> & "c"\n${escape}[7mbar${escape}[0m`, {columns: 20, rows: 2, title: 'demo'});
	t.regex(svg, /^<svg /v);
	t.regex(svg, /a &lt;b&gt; &amp; &quot;c&quot;/v);
	t.regex(svg, /<rect x="12.0" y="29" width="25.2" height="17" fill="#d4d4d4"\/>/v);
	t.regex(svg, /<title>demo<\/title>/v);
	t.false(svg.includes(escape));
});
