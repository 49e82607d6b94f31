/* eslint-disable no-template-curly-in-string -- `${ID}` is the plugin syntax under test, not a template */
import test from 'ava';
import {
	substitute,
	unknownVariables,
	hasVariable,
	type PluginVariables,
} from '../../source/core/plugins.js';

const variables: PluginVariables = {
	id: 'v-1',
	name: 'db data; rm -rf ~',
	kind: 'volume',
	project: 'web-shop',
	projectId: 'p-web',
	cloud: 'testcloud',
	region: 'RegionOne',
	selectedIds: ['v-1', 'v-2'],
};

test('each variable is put into the element that names it, with or without braces', t => {
	t.deepEqual(
		substitute(['echo', '$KIND', '$ID', '${PROJECT}/$PROJECT_ID', '$CLOUD@$REGION', 'id=${ID}x'], variables),
		['echo', 'volume', 'v-1', 'web-shop/p-web', 'testcloud@RegionOne', 'id=v-1x'],
	);
});

test('a value with shell characters stays one argument, unparsed', t => {
	t.deepEqual(substitute(['printf', '%s', '$NAME'], variables), ['printf', '%s', 'db data; rm -rf ~']);
});

test('$SELECTED_IDS alone is one element per ID; inside a longer element the IDs are joined by spaces', t => {
	t.deepEqual(substitute(['openstack', 'volume', 'show', '$SELECTED_IDS', '--fit'], variables), ['openstack', 'volume', 'show', 'v-1', 'v-2', '--fit']);
	t.deepEqual(substitute(['echo', 'ids: $SELECTED_IDS'], variables), ['echo', 'ids: v-1 v-2']);
	t.deepEqual(substitute(['echo', '${SELECTED_IDS}'], {...variables, selectedIds: []}), ['echo']);
});

test('$$ is a dollar; a $ before anything but a capital or { is kept, so awk and shell snippets pass through', t => {
	t.deepEqual(
		substitute(['awk', '{print $1}', 'cost: $$5', '$', 'a$b', '$(date)'], variables),
		['awk', '{print $1}', 'cost: $5', '$', 'a$b', '$(date)'],
	);
	t.deepEqual(substitute(['echo', '$$ID'], variables), ['echo', '$ID']);
});

test('unknown names are found (each once), known ones and literal dollars are not', t => {
	t.deepEqual(unknownVariables('$VOLUME_ID and ${TOKEN} and $VOLUME_ID'), ['VOLUME_ID', 'TOKEN']);
	t.deepEqual(unknownVariables('$ID ${NAME} $$PASSWORD $1 $SELECTED_IDS'), []);
	t.deepEqual(unknownVariables('${}'), ['']);
});

test('hasVariable sees a variable in any element, braced or not, but not an escaped one', t => {
	t.true(hasVariable(['less', '/tmp/${ID}.log'], 'ID'));
	t.true(hasVariable(['x', '$ID'], 'ID'));
	t.false(hasVariable(['x', '$$ID', '$IDENTITY'], 'ID'));
	t.false(hasVariable(['less', '/var/log/syslog'], 'ID'));
});
