/*
Restore drills within the project's volume quota (issue 12): each drill makes one temporary volume of its backup's size,
and with --parallel N up to N of them exist at once. A drill that would not fit is refused before it starts, with the
numbers, instead of failing halfway with Cinder's 413.
*/

/**
Cinder's absolute limits (`GET /limits`) for volumes; -1 is unlimited.
*/
export type VolumeQuota = {maxVolumes: number; volumesUsed: number; maxGigabytes: number; gigabytesUsed: number};

export type QuotaRefusal<T> = {item: T; reason: string};

function left(max: number, used: number): number {
	return max < 0 ? Infinity : Math.max(0, max - used);
}

function plural(count: number, word: string): string {
	return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
Which drills fit the quota, in their order, and why each of the others does not. With a pool of `parallel` workers a
drill may run beside any `parallel - 1` of those admitted before it, so it must fit beside the largest of them.
*/
export function fitDrillsInQuota<T extends {size: number}>(quota: VolumeQuota, drills: T[], parallel = 1): {fits: T[]; refused: Array<QuotaRefusal<T>>} {
	const volumesLeft = left(quota.maxVolumes, quota.volumesUsed);
	const gigabytesLeft = left(quota.maxGigabytes, quota.gigabytesUsed);
	const fits: T[] = [];
	const refused: Array<QuotaRefusal<T>> = [];
	for (const drill of drills) {
		const beside = fits.toSorted((a, b) => b.size - a.size).slice(0, Math.max(1, parallel) - 1);
		const volumes = beside.length + 1;
		const gigabytes = beside.reduce((sum, other) => sum + other.size, drill.size);
		if (volumes <= volumesLeft && gigabytes <= gigabytesLeft) {
			fits.push(drill);
			continue;
		}

		const need = beside.length === 0
			? `needs 1 volume of ${drill.size} GiB`
			: `needs 1 volume of ${drill.size} GiB beside ${plural(beside.length, 'other drill')} at once (${plural(volumes, 'volume')}, ${gigabytes} GiB in all)`;
		const volumesText = quota.maxVolumes < 0 ? 'unlimited volumes' : `${volumesLeft} of ${quota.maxVolumes} volumes left`;
		const gigabytesText = quota.maxGigabytes < 0 ? 'unlimited GiB' : `${gigabytesLeft} of ${quota.maxGigabytes} GiB left`;
		refused.push({item: drill, reason: `refused before it started: it ${need}; the project's volume quota has ${volumesText} and ${gigabytesText}`});
	}

	return {fits, refused};
}
