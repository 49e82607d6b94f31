import test from 'ava';
import {titleOf} from '../../source/demo-cloud/http.js';

test('error titles are node:http\'s, also for statuses the simulator has no special case for', t => {
	t.is(titleOf(404), 'Not Found');
	t.is(titleOf(422), 'Unprocessable Entity');
	t.is(titleOf(507), 'Insufficient Storage');
	t.is(titleOf(599), 'Error');
});

test('where webob words a status differently from node:http, the simulator says what OpenStack says', t => {
	t.is(titleOf(413), 'Request Entity Too Large');
	t.is(titleOf(416), 'Request Range Not Satisfiable');
});
