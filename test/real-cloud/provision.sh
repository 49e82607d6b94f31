#!/usr/bin/env bash
# A real OpenStack Zed (Debian 12 packages) on 127.0.0.1, for backstack's contract suite.
#
#   provision.sh           install what is missing, configure, start (idempotent; a re-run of a running cloud is quick)
#   provision.sh start     start the daemons from the existing configuration
#   provision.sh stop      stop every daemon this script started (by pidfile / session), unmount the share
#   provision.sh status    one line per daemon, then a token check
#   provision.sh identity  apply the projects, users, roles and clouds.yaml below to a running cloud (daemons untouched)
#   provision.sh wipe      stop, then drop all databases and state (volumes, backups, images, keys)
#
# Env: BACKSTACK_REAL_NOVA=0 leaves out neutron/placement/nova (default 1: they fit on the 24 GiB box).
#      BACKSTACK_REAL_VIRT=auto (default) | libvirt | fake: Nova's virt driver. auto = libvirt (KVM when /dev/kvm works,
#      else plain QEMU) when a probe guest really runs under libvirtd, otherwise the fake driver; libvirt = fail if it
#      cannot. The choice is kept in $STATE/virt, so `start` and `status` follow it.
#
# Services (all 127.0.0.1): mariadb 3306, rabbitmq 5672, keystone 5000, barbican 9311 (simple_crypto), glance 9292
# (file store), cinder 8776 (api, scheduler, volume = NFS driver on a bind mount, backup = posix driver),
# neutron 9696 (bare, no agents), placement 8778, nova 8774 (libvirt/KVM, or the fake virt driver: see BACKSTACK_REAL_VIRT).
# Clouds for clients: /etc/backstack-real/clouds.yaml (and a copy in test/real-cloud/.state/clouds.yaml):
#   real-admin (admin in project admin), real-member (user "member" with member+reader+creator in projects bs-alpha and
#   bs-beta, scoped to bs-alpha) and real-member2 (user "member2", a password of its own, member+reader+creator in
#   bs-beta only: another user of the member's second project).
# Runs as root, no systemd: daemons run under setsid, pidfiles in /run/backstack-real, logs in /var/log/backstack-real.
set -Eeuo pipefail

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
unset OS_CLOUD OS_CLIENT_CONFIG_FILE OS_AUTH_URL OS_PASSWORD OS_USERNAME OS_PROJECT_NAME OS_TOKEN || true

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=/var/lib/backstack-real
LOGS=/var/log/backstack-real
PIDS=/run/backstack-real
ETC=/etc/backstack-real
LO=127.0.0.1
WITH_NOVA=${BACKSTACK_REAL_NOVA:-1}
VIRT_WANTED=${BACKSTACK_REAL_VIRT:-auto}
PY=/usr/bin/python3
SOCK=/run/mysqld/mysqld.sock
DATABASES="keystone barbican glance cinder neutron placement nova_api nova nova_cell0"

STARTED_AT=$(date +%s)
log() { printf '[provision %4ss] %s\n' "$(( $(date +%s) - STARTED_AT ))" "$*"; }
fail() { printf '[provision] FAILED: %s\n' "$*" >&2; exit 1; }
trap 'fail "line $LINENO: $BASH_COMMAND (exit $?)"' ERR

# Each step prints how long it took.
step() { # step NAME FUNCTION...
	local name=$1 t0; shift
	t0=$(date +%s)
	"$@"
	log "$name: $(( $(date +%s) - t0 ))s"
}

# ------------------------------------------------------------------------------------------------ small helpers

# The service password is random, made once per machine and kept outside the state that `wipe` removes.
service_password() {
	if [ ! -s "$ETC/password" ]; then
		mkdir -p "$ETC"; chmod 700 "$ETC"
		(umask 077; $PY -c 'import secrets; print(secrets.token_hex(16))' > "$ETC/password")
	fi
	cat "$ETC/password"
}

# member2's password: random, its own, made once per machine like the service password.
member2_password() {
	if [ ! -s "$ETC/member2-password" ]; then
		mkdir -p "$ETC"; chmod 700 "$ETC"
		(umask 077; $PY -c 'import secrets; print(secrets.token_hex(16))' > "$ETC/member2-password")
	fi
	cat "$ETC/member2-password"
}

# put FILE MODE < content: replace FILE only when the content differs (so its mtime says when it last changed).
put() {
	local file=$1 mode=${2:-0644} tmp
	tmp=$(mktemp)
	cat > "$tmp"
	if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 0; fi
	mkdir -p "$(dirname "$file")"
	install -m "$mode" "$tmp" "$file"; rm -f "$tmp"
}
# newer MARKER FILE...: is MARKER missing, or is one of the files newer than it? (Decides db syncs and restarts, so that
# a run that died half-way is finished by the next one.)
newer() {
	local marker=$1 file; shift
	[ -e "$marker" ] || return 0
	for file in "$@"; do [ "$file" -nt "$marker" ] && return 0; done
	return 1
}

# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat, clock ticks since boot). PIDs are reused: after a restart
# of the machine (or its container) with /run kept, a stale pid file can name a live process that is something else
# entirely (seen: glance's old PID taken by a keystone worker, so glance was never started and "not ready after 60s").
# Only a process whose start time matches is the daemon we started.
start_time_of() { # start_time_of PID: prints the start time, fails when there is no such process
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # the command name (field 2) may hold spaces; fields after it are plain
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}" # field 22 overall = the 20th after "pid (comm)"
}
pid_of() { # pid_of NAME: prints the daemon's PID when it is the very process we started, fails otherwise
	local pid started now
	[ -f "$PIDS/$1.pid" ] || return 1
	read -r pid started < "$PIDS/$1.pid" || true
	[ -n "$pid" ] && [ -n "${started:-}" ] || return 1
	now=$(start_time_of "$pid") || return 1
	[ "$now" = "$started" ] && echo "$pid"
}
running() { pid_of "$1" > /dev/null; }

# daemon NAME COMMAND...: start COMMAND in its own session unless NAME is running already.
daemon() {
	local name=$1; shift
	if running "$name"; then return 0; fi
	setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
	echo "$! $(start_time_of $!)" > "$PIDS/$name.pid"
	log "started $name (pid $!)"
}

# stop_daemon NAME: TERM the session the daemon leads (its workers and helpers share it), wait, then KILL.
stop_daemon() {
	local name=$1 pid left i
	[ -f "$PIDS/$name.pid" ] || return 0
	# A stale pid file (its PID now someone else's) is removed without signalling anything.
	pid=$(pid_of "$name") || { rm -f "$PIDS/$name.pid"; return 0; }
	session_pids() { ps -eo pid=,sid= | awk -v s="$pid" '$2 == s {print $1}'; }
	left=$(session_pids)
	if [ -n "$left" ]; then
		# shellcheck disable=SC2086
		kill $left 2>/dev/null || true
		for i in $(seq 1 30); do left=$(session_pids); [ -z "$left" ] && break; sleep 0.5; done
		# shellcheck disable=SC2086
		[ -z "$left" ] || { kill -9 $left 2>/dev/null || true; log "killed $name (did not stop on TERM)"; }
		log "stopped $name ($pid)"
	fi
	rm -f "$PIDS/$name.pid"
}

# uwsgi_daemon NAME PORT WSGI_SCRIPT [PROCESSES THREADS]
# uwsgi's http-socket keeps connections alive but cannot serve a second request on them (ECONNRESET):
# every response gets "Connection: close".
uwsgi_daemon() {
	daemon "$1" uwsgi --plugin python3 --master --die-on-term --need-app --lazy-apps --enable-threads \
		--processes "${4:-1}" --threads "${5:-4}" --buffer-size 65535 \
		--http-socket "$LO:$2" --add-header 'Connection: close' --wsgi-file "$3"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
	local limit=$1 what=$2 i; shift 2
	for i in $(seq 1 "$limit"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 1
	done
	fail "$what not ready after ${limit}s"
}
http_up() { # any answer below 500
	local code
	code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1") || return 1
	[ "$code" != 000 ] && [ "$code" -lt 500 ]
}
sql() { mysql --socket="$SOCK" -N -e "$1"; }
dburl() { echo "mysql+pymysql://openstack:$PW@$LO/$1?charset=utf8"; }

# [keystone_authtoken] for a service user; Keystone answers on one URL for everything.
authtoken() {
	cat <<-EOF
	[keystone_authtoken]
	www_authenticate_uri = http://$LO:5000
	auth_url = http://$LO:5000
	auth_type = password
	memcached_servers =
	region_name = RegionOne
	project_domain_name = Default
	user_domain_name = Default
	project_name = service
	username = $1
	password = $PW
	EOF
}
# Service-to-service credentials for a section other than keystone_authtoken.
service_auth() {
	cat <<-EOF
	auth_url = http://$LO:5000/v3
	auth_type = password
	region_name = RegionOne
	project_domain_name = Default
	user_domain_name = Default
	project_name = service
	username = $1
	password = $PW
	EOF
}
# Cinder and Glance (castellan) talk to Barbican with the user's token; castellan's default Keystone URL is wrong here.
key_manager() {
	cat <<-EOF
	[key_manager]
	backend = barbican
	[barbican]
	auth_endpoint = http://$LO:5000/v3
	barbican_endpoint_type = public
	EOF
}

# ------------------------------------------------------------------------------------------------ packages

BASE_PACKAGES="mariadb-server python3-pymysql rabbitmq-server uwsgi uwsgi-plugin-python3
	keystone barbican-api barbican-common glance-api glance-common
	cinder-api cinder-scheduler cinder-volume cinder-backup
	python3-openstackclient python3-barbicanclient python3-cinderclient python3-glanceclient
	qemu-utils dmidecode sudo curl"
NOVA_PACKAGES="neutron-server placement-api nova-api nova-conductor nova-scheduler
	python3-novaclient python3-osc-placement"
# For the libvirt driver (left out with BACKSTACK_REAL_VIRT=fake).
LIBVIRT_PACKAGES="nova-compute-kvm libvirt-daemon-system qemu-system-x86 python3-libvirt"

packages_missing() {
	local want=$BASE_PACKAGES p
	[ "$WITH_NOVA" = 1 ] && want="$want $NOVA_PACKAGES"
	[ "$WITH_NOVA" = 1 ] && [ "$VIRT_WANTED" != fake ] && want="$want $LIBVIRT_PACKAGES"
	for p in $want; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

install_packages() {
	local missing own_policy=0
	missing=$(packages_missing | xargs)
	if [ -z "$missing" ]; then log "packages: all present"; return 0; fi
	log "packages to install: $missing"
	# The OpenStack packages would ask debconf questions (their defaults already mean "leave it to me");
	# say so explicitly, and keep postinst scripts from starting daemons (there is no init system here).
	local s q
	{
		printf 'keystone keystone/%s boolean false\n' configure_db create-admin-tenant register-endpoint
		for s in barbican cinder glance nova placement neutron; do
			for q in configure_db configure_rabbit configure_ksat configure_api-endpoint; do
				printf '%s-common %s/%s boolean false\n' "$s" "$s" "$q"
			done
		done
		printf 'nova-api novaapi/configure_db boolean false\n'
		printf 'nova-common nova/%s boolean false\n' configure_neutron configure_placement
		printf 'neutron-server neutron/configure_db boolean false\n'
	} | debconf-set-selections
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# backstack-real: no daemon starts during apt-get\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	local t0; t0=$(date +%s)
	apt-get -o DPkg::Lock::Timeout=600 update -qq > "$LOGS/apt.log" 2>&1 || { tail -n 20 "$LOGS/apt.log"; fail "apt-get update"; }
	log "apt-get update: $(( $(date +%s) - t0 ))s"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >> "$LOGS/apt.log" 2>&1 \
		|| { tail -n 30 "$LOGS/apt.log"; [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; fail "apt-get install"; }
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	return 0
}

# ------------------------------------------------------------------------------------------------ machine tweaks

# No NFS server and no kernel NFS here: Cinder's NFS driver (and os-brick in cinder-backup) "mount" the share
# 127.0.0.1:/dir with this helper, which bind-mounts /dir. Everything after that is plain files.
fake_mount_nfs() {
	if [ -e /sbin/mount.nfs ] && ! grep -q 'backstack-real' /sbin/mount.nfs; then
		fail "/sbin/mount.nfs exists and is not ours; refusing to replace it"
	fi
	put /sbin/mount.nfs 0755 <<-'EOF'
	#!/bin/sh
	# backstack-real: "mount.nfs HOST:/dir MOUNTPOINT [-o opts]" becomes a bind mount of /dir.
	# Called without arguments (Cinder only checks it is there) it does nothing.
	[ "$#" -ge 2 ] || exit 0
	exec mount --bind "${1#*:}" "$2"
	EOF
}

# qemu-img's LUKS key-derivation benchmark sometimes fails in this VM with "Unable to get accurate CPU usage"
# (about 1 run in 20), which turns an encrypted volume creation into `error`. qemu-img is diverted and a
# wrapper retries exactly that failure.
qemu_img_retry() {
	if [ ! -e /usr/bin/qemu-img.distrib ]; then
		dpkg-divert --quiet --local --rename --divert /usr/bin/qemu-img.distrib --add /usr/bin/qemu-img
	fi
	put /usr/bin/qemu-img 0755 <<-'EOF'
	#!/bin/bash
	# backstack-real: run the real qemu-img, retrying when its LUKS benchmark could not measure CPU time.
	errors=$(mktemp)
	trap 'rm -f "$errors"' EXIT
	for attempt in 1 2 3 4 5 6 7 8; do
		status=0
		(exec -a qemu-img /usr/bin/qemu-img.distrib "$@") 2> "$errors" || status=$?
		[ "$status" -ne 0 ] && grep -q 'Unable to get accurate CPU usage' "$errors" || break
	done
	cat "$errors" >&2
	exit "$status"
	EOF
}

# Zed's NFS driver keeps an encrypted volume as a qcow2 file with qcow2's own LUKS encryption (encrypt.format=luks).
# Stock Zed then fails every data path between such a volume and Glance: upload-to-image converts it to raw without
# the key, and a volume made from an image is overwritten by the image's raw bytes and resized without the key.
# This subclass moves the data the way a block driver (LVM, Ceph) does, with the volume's own passphrase (hex of its
# Barbican key, as os-brick passes it):
#  - upload: the volume as a raw LUKS container of exactly the volume's size, header included, as on LVM or Ceph (so the
#    last ~2 MiB of the qcow2 volume, which a block driver's volume would not have, are not uploaded; Glance gets
#    `raw`, which is how Cinder treats luks);
#  - volume from an encrypted image (its key already cloned to the volume by Cinder): the LUKS container opened with
#    that passphrase, written into the volume's qcow2+LUKS file; a wrong key fails here, as it would for a real volume;
#  - encrypted volume from a plain image: the image's bytes encrypted into the volume's qcow2+LUKS file.
# Key cloning, image properties and every API answer remain Cinder's own code; only the data path differs.
nfs_driver_shim() {
	put /usr/local/lib/python3.11/dist-packages/backstack_real_nfs.py 0644 <<-'EOF'
	"""backstack-real: Cinder NFS driver whose encrypted volumes move to and from Glance as raw LUKS, like a block driver's."""
	import binascii
	import contextlib
	import json
	import os
	import tempfile

	from castellan import key_manager
	from oslo_config import cfg
	from oslo_utils import units

	from cinder.image import image_utils
	from cinder.volume.drivers import nfs
	from cinder.volume import volume_utils

	LUKS_MAGIC = b'LUKS\xba\xbe'


	class NfsDriver(nfs.NfsDriver):
	    @contextlib.contextmanager
	    def _work_with_passphrase(self, context, volume):
	        """A private directory holding the volume's LUKS passphrase as file `passphrase` (mode 0600)."""
	        key = key_manager.API(cfg.CONF).get(context, volume.encryption_key_id)
	        with tempfile.TemporaryDirectory(dir=volume_utils.image_conversion_dir()) as work:
	            secret = os.path.join(work, 'passphrase')
	            with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'wb') as handle:
	                handle.write(binascii.hexlify(key.get_encoded()))
	            yield work, secret

	    def copy_volume_to_image(self, context, volume, image_service, image_meta):
	        if not volume.encryption_key_id:
	            return super().copy_volume_to_image(context, volume, image_service, image_meta)
	        path = self.local_path(volume)
	        with self._work_with_passphrase(context, volume) as (work, secret):
	            # A block driver's LUKS header lives inside the volume: the container is exactly the volume's size and
	            # its payload that much smaller. The header's size is what qemu-img makes for this cipher.
	            probe = os.path.join(work, 'probe.luks')
	            self._execute('qemu-img', 'create', '-f', 'luks',
	                          '--object', 'secret,id=sec0,format=raw,file=' + secret,
	                          '-o', 'key-secret=sec0,iter-time=10', probe, '1M',
	                          run_as_root=self._execute_as_root)
	            info, _err = self._execute('qemu-img', 'info', '-f', 'luks', '--output=json', probe,
	                                       run_as_root=self._execute_as_root)
	            header = json.loads(info)['format-specific']['data']['payload-offset']
	            luks = os.path.join(work, 'volume.luks')
	            self._execute('qemu-img', 'convert',
	                          '--object', 'secret,id=sec0,format=raw,file=' + secret,
	                          '--image-opts', 'driver=raw,size=%d,file.driver=qcow2,file.encrypt.key-secret=sec0,'
	                          'file.file.filename=%s' % (volume.size * units.Gi - header, path),
	                          '-O', 'luks', '-o', 'key-secret=sec0', luks,
	                          run_as_root=self._execute_as_root)
	            volume_utils.upload_volume(context, image_service, image_meta, luks, volume,
	                                       run_as_root=self._execute_as_root)

	    def _image_into_encrypted_volume(self, context, volume, image_service, image_id):
	        path = self.local_path(volume)
	        with self._work_with_passphrase(context, volume) as (work, secret):
	            fetched = os.path.join(work, 'image')
	            image_utils.fetch_verify_image(context, image_service, image_id, fetched)
	            with open(fetched, 'rb') as handle:
	                is_luks = handle.read(len(LUKS_MAGIC)) == LUKS_MAGIC
	            source = ('driver=luks,key-secret=sec0,file.filename=' if is_luks else 'driver=raw,file.filename=') + fetched
	            self._execute('qemu-img', 'convert',
	                          '--object', 'secret,id=sec0,format=raw,file=' + secret,
	                          '--image-opts', source,
	                          '-O', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=sec0', path,
	                          run_as_root=self._execute_as_root)
	            self._execute('qemu-img', 'resize',
	                          '--object', 'secret,id=sec0,format=raw,file=' + secret,
	                          '--image-opts', 'driver=qcow2,encrypt.key-secret=sec0,file.filename=' + path,
	                          '%dG' % volume.size,
	                          run_as_root=self._execute_as_root)
	        self._set_rw_permissions(path)

	    def copy_image_to_volume(self, context, volume, image_service, image_id):
	        if not volume.encryption_key_id:
	            return super().copy_image_to_volume(context, volume, image_service, image_id)
	        return self._image_into_encrypted_volume(context, volume, image_service, image_id)

	    def copy_image_to_encrypted_volume(self, context, volume, image_service, image_id):
	        return self._image_into_encrypted_volume(context, volume, image_service, image_id)
	EOF
}

# ------------------------------------------------------------------------------------------------ mariadb, rabbitmq

start_mariadb() {
	mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
	if [ ! -d /var/lib/mysql/mysql ]; then
		mariadb-install-db --user=mysql --datadir=/var/lib/mysql > "$LOGS/mariadb-install.log" 2>&1
	fi
	daemon mariadb /usr/sbin/mariadbd --user=mysql --bind-address=$LO --port=3306 --socket=$SOCK \
		--skip-name-resolve --performance-schema=OFF --innodb-buffer-pool-size=96M --max-connections=600
	wait_for 60 mariadb mysqladmin --socket=$SOCK ping
}
setup_mariadb() {
	local d
	for d in $DATABASES; do sql "CREATE DATABASE IF NOT EXISTS $d CHARACTER SET utf8mb4"; done
	sql "CREATE USER IF NOT EXISTS 'openstack'@'$LO' IDENTIFIED BY '$PW';
		ALTER USER 'openstack'@'$LO' IDENTIFIED BY '$PW';
		GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'$LO'; FLUSH PRIVILEGES;"
}

start_rabbitmq() {
	mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
	chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
	# AMQP, epmd and Erlang distribution on loopback only.
	put /etc/rabbitmq/rabbitmq-env.conf 0644 <<-EOF
	NODENAME=rabbit@localhost
	NODE_IP_ADDRESS=$LO
	NODE_PORT=5672
	SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
	EOF
	ERL_EPMD_ADDRESS=$LO daemon rabbitmq /usr/sbin/rabbitmq-server
	wait_for 120 rabbitmq rabbitmqctl -n rabbit@localhost status
}

# ------------------------------------------------------------------------------------------------ keystone

setup_keystone() {
	put /etc/keystone/keystone.conf 0640 <<-EOF
	[DEFAULT]
	[database]
	connection = $(dburl keystone)
	[token]
	provider = fernet
	expiration = 14400
	[fernet_tokens]
	key_repository = /etc/keystone/fernet-keys/
	[credential]
	key_repository = /etc/keystone/credential-keys/
	EOF
	if newer "$STATE/keystone.ready" /etc/keystone/keystone.conf; then
		keystone-manage db_sync > "$LOGS/keystone-manage.log" 2>&1
		[ -d /etc/keystone/fernet-keys ] || keystone-manage fernet_setup --keystone-user root --keystone-group root >> "$LOGS/keystone-manage.log" 2>&1
		[ -d /etc/keystone/credential-keys ] || keystone-manage credential_setup --keystone-user root --keystone-group root >> "$LOGS/keystone-manage.log" 2>&1
		keystone-manage bootstrap --bootstrap-password "$PW" --bootstrap-region-id RegionOne \
			--bootstrap-admin-url http://$LO:5000/v3/ --bootstrap-internal-url http://$LO:5000/v3/ \
			--bootstrap-public-url http://$LO:5000/v3/ >> "$LOGS/keystone-manage.log" 2>&1
		touch "$STATE/keystone.ready"
	fi
}
start_keystone() {
	uwsgi_daemon keystone 5000 /usr/bin/keystone-wsgi-public
	wait_for 60 keystone http_up http://$LO:5000/v3
}

write_clouds() {
	local cloud user project password clouds
	clouds=$(
		echo "# backstack-real: written by test/real-cloud/provision.sh; test cloud on 127.0.0.1 only"
		echo "clouds:"
		for cloud in "real-admin:admin:admin:$PW" "real-member:member:bs-alpha:$PW" "real-member2:member2:bs-beta:$(member2_password)"; do
			IFS=: read -r cloud user project password <<< "$cloud"
			cat <<-EOF
			  $cloud:
			    auth_type: password
			    auth:
			      auth_url: http://$LO:5000/v3
			      username: $user
			      password: "$password"
			      project_name: $project
			      user_domain_name: Default
			      project_domain_name: Default
			    region_name: RegionOne
			    interface: public
			    identity_api_version: 3
			EOF
		done
	)
	put "$ETC/clouds.yaml" 0600 <<< "$clouds"
	mkdir -p "$HERE/.state"
	put "$HERE/.state/clouds.yaml" 0644 <<< "$clouds"
}

# Projects, users, roles, services, endpoints: get-or-create, through Keystone's API.
setup_identity() {
	OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml $PY - "$PW" "$WITH_NOVA" "$(member2_password)" <<-'EOF'
	import sys
	import openstack

	password, with_nova, member2_password = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
	ks = openstack.connect(cloud="real-admin").identity
	domain = ks.find_domain("default")

	def ensure(kind, name, **attrs):
	    found = getattr(ks, "find_" + kind)(name, ignore_missing=True)
	    return found or getattr(ks, "create_" + kind)(name=name, **attrs)

	projects = {p: ensure("project", p, domain_id=domain.id, description="backstack-real")
	            for p in ("service", "bs-alpha", "bs-beta")}
	roles = {r: ensure("role", r) for r in ("admin", "member", "reader", "service", "creator")}
	def user(name):
	    return ensure("user", name, domain_id=domain.id, password=password)

	# Barbican (Zed) still enforces its legacy policy: without `creator` a member cannot store a secret,
	# and Cinder creates volume keys with the user's token.
	member = user("member")
	for project in ("bs-alpha", "bs-beta"):
	    for role in ("member", "reader", "creator"):
	        ks.assign_project_role_to_user(projects[project], member, roles[role])
	# Another user of bs-beta only (a restore "into another project, as another user"). Its password is set on every
	# run, so that it always is the one clouds.yaml names.
	member2 = ensure("user", "member2", domain_id=domain.id, password=member2_password)
	ks.update_user(member2, password=member2_password)
	for role in ("member", "reader", "creator"):
	    ks.assign_project_role_to_user(projects["bs-beta"], member2, roles[role])

	endpoints = [
	    ("barbican", "key-manager", "http://127.0.0.1:9311"),
	    ("glance", "image", "http://127.0.0.1:9292"),
	    ("cinderv3", "volumev3", "http://127.0.0.1:8776/v3/%(project_id)s"),
	    ("cinder", "block-storage", "http://127.0.0.1:8776/v3/%(project_id)s"),
	]
	service_users = ["barbican", "glance", "cinder"]
	if with_nova:
	    endpoints += [
	        ("neutron", "network", "http://127.0.0.1:9696"),
	        ("placement", "placement", "http://127.0.0.1:8778"),
	        ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
	    ]
	    service_users += ["neutron", "placement", "nova"]
	for name in service_users:
	    account = user(name)
	    for role in ("admin", "service"):
	        ks.assign_project_role_to_user(projects["service"], account, roles[role])
	services = list(ks.services())
	for name, kind, url in endpoints:
	    service = next((s for s in services if s.type == kind), None)
	    if service is None:
	        service = ks.create_service(name=name, type=kind)
	    present = {e.interface for e in ks.endpoints(service_id=service.id)}
	    for interface in ("public", "internal", "admin"):
	        if interface not in present:
	            ks.create_endpoint(service_id=service.id, interface=interface, url=url, region_id="RegionOne")
	print("identity: projects, users, roles and endpoints in place")
	EOF
}

# ------------------------------------------------------------------------------------------------ barbican

setup_barbican() {
	if [ ! -s "$STATE/barbican-kek" ]; then
		(umask 077; $PY -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' > "$STATE/barbican-kek")
	fi
	put /etc/barbican/barbican.conf 0640 <<-EOF
	[DEFAULT]
	sql_connection = $(dburl barbican)
	db_auto_create = false
	host_href = http://$LO:9311
	[oslo_messaging_notifications]
	driver = noop
	[keystone_notifications]
	enable = false
	[secretstore]
	enabled_secretstore_plugins = store_crypto
	[crypto]
	enabled_crypto_plugins = simple_crypto
	[simple_crypto_plugin]
	kek = '$(cat "$STATE/barbican-kek")'
	$(authtoken barbican)
	EOF
	if newer "$STATE/barbican.ready" /etc/barbican/barbican.conf; then
		barbican-manage db upgrade > /dev/null
		touch "$STATE/barbican.ready"
	fi
}
start_barbican() {
	uwsgi_daemon barbican 9311 /usr/bin/barbican-wsgi-api
	wait_for 60 barbican http_up http://$LO:9311/
}

# ------------------------------------------------------------------------------------------------ glance

setup_glance() {
	mkdir -p "$STATE/glance/images" "$STATE/glance/staging" "$STATE/glance/tasks"
	put /etc/glance/glance-api.conf 0640 <<-EOF
	[DEFAULT]
	bind_host = $LO
	bind_port = 9292
	workers = 1
	enabled_backends = fs:file
	show_image_direct_url = false
	[database]
	connection = $(dburl glance)
	[glance_store]
	default_backend = fs
	[fs]
	filesystem_store_datadir = $STATE/glance/images/
	[os_glance_staging_store]
	filesystem_store_datadir = $STATE/glance/staging/
	[os_glance_tasks_store]
	filesystem_store_datadir = $STATE/glance/tasks/
	[paste_deploy]
	flavor = keystone
	$(key_manager)
	$(authtoken glance)
	EOF
	if newer "$STATE/glance.ready" /etc/glance/glance-api.conf; then
		glance-manage --config-file /etc/glance/glance-api.conf db_sync > /dev/null 2>&1
		touch "$STATE/glance.ready"
	fi
}
start_glance() {
	daemon glance glance-api --config-file /etc/glance/glance-api.conf
	wait_for 60 glance http_up http://$LO:9292/
}

# ------------------------------------------------------------------------------------------------ cinder

CINDER_DAEMONS="cinder-api cinder-scheduler cinder-volume cinder-backup"

setup_cinder() {
	mkdir -p "$STATE/cinder/share" "$STATE/cinder/mnt" "$STATE/cinder/locks" "$STATE/cinder/conversion" \
		"$STATE/cinder/backups" /var/lock/cinder
	fake_mount_nfs
	qemu_img_retry
	nfs_driver_shim
	put /etc/cinder/nfs_shares 0644 <<< "$LO:$STATE/cinder/share"
	put /etc/cinder/cinder.conf 0640 <<-EOF
	[DEFAULT]
	host = backstack
	my_ip = $LO
	state_path = $STATE/cinder
	transport_url = rabbit://guest:guest@$LO:5672/
	auth_strategy = keystone
	osapi_volume_listen = $LO
	osapi_volume_listen_port = 8776
	osapi_volume_workers = 1
	api_paste_config = /etc/cinder/api-paste.ini
	rootwrap_config = /etc/cinder/rootwrap.conf
	glance_api_servers = http://$LO:9292
	image_conversion_dir = $STATE/cinder/conversion
	enabled_backends = share
	backup_driver = cinder.backup.drivers.posix.PosixBackupDriver
	backup_posix_path = $STATE/cinder/backups
	backup_workers = 1
	# Room for several engineers and test runs in one project (the defaults are 10 volumes, 10 backups).
	quota_volumes = 100
	quota_snapshots = 100
	quota_backups = 100
	[database]
	connection = $(dburl cinder)
	[oslo_concurrency]
	lock_path = $STATE/cinder/locks
	$(key_manager)
	[nova]
	$(service_auth nova)
	[share]
	volume_backend_name = share
	volume_driver = backstack_real_nfs.NfsDriver
	nfs_shares_config = /etc/cinder/nfs_shares
	nfs_mount_point_base = $STATE/cinder/mnt
	nfs_sparsed_volumes = true
	nfs_snapshot_support = true
	nas_secure_file_operations = false
	nas_secure_file_permissions = false
	[service_user]
	send_service_user_token = true
	$(service_auth cinder)
	$(authtoken cinder)
	EOF
	if newer "$STATE/cinder.ready" /etc/cinder/cinder.conf; then
		cinder-manage --config-file /etc/cinder/cinder.conf db sync > "$LOGS/cinder-db-sync.log" 2>&1
		touch "$STATE/cinder.ready"
	fi
}
start_cinder() {
	local d
	for d in $CINDER_DAEMONS; do daemon "$d" "$d" --config-file /etc/cinder/cinder.conf; done
	wait_for 90 cinder-api http_up http://$LO:8776/
}
cinder_services_up() {
	[ "$(OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml OS_CLOUD=real-admin $PY /usr/bin/openstack volume service list \
		-f value -c Binary -c State 2>/dev/null | grep -c ' up$')" -ge 3 ]
}

# ------------------------------------------------------------------------------------------------ neutron, placement, nova

# Nova's server views ask Neutron for security groups even for servers without networks: without a `network`
# endpoint every GET /servers* answers 500. A neutron-server with no agents and no mechanism drivers suffices.
setup_neutron() {
	mkdir -p "$STATE/neutron/locks"
	put /etc/neutron/neutron.conf 0640 <<-EOF
	[DEFAULT]
	bind_host = $LO
	bind_port = 9696
	core_plugin = ml2
	service_plugins =
	auth_strategy = keystone
	transport_url = rabbit://guest:guest@$LO:5672/
	state_path = $STATE/neutron
	api_workers = 1
	rpc_workers = 1
	rpc_state_report_workers = 0
	notify_nova_on_port_status_changes = false
	notify_nova_on_port_data_changes = false
	[database]
	connection = $(dburl neutron)
	[oslo_concurrency]
	lock_path = $STATE/neutron/locks
	[agent]
	root_helper = sudo /usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf
	$(authtoken neutron)
	EOF
	put /etc/neutron/plugins/ml2/ml2_conf.ini 0640 <<-EOF
	[ml2]
	type_drivers = flat,vlan
	tenant_network_types =
	mechanism_drivers =
	extension_drivers = port_security
	[ml2_type_flat]
	flat_networks = *
	EOF
	if newer "$STATE/neutron.ready" /etc/neutron/neutron.conf /etc/neutron/plugins/ml2/ml2_conf.ini; then
		neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini \
			upgrade head > "$LOGS/neutron-db-manage.log" 2>&1
		touch "$STATE/neutron.ready"
	fi
}
start_neutron() {
	daemon neutron neutron-server --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini
	wait_for 90 neutron http_up http://$LO:9696/
}

setup_placement() {
	put /etc/placement/placement.conf 0640 <<-EOF
	[DEFAULT]
	[api]
	auth_strategy = keystone
	[placement_database]
	connection = $(dburl placement)
	$(authtoken placement)
	EOF
	if newer "$STATE/placement.ready" /etc/placement/placement.conf; then
		placement-manage --config-file /etc/placement/placement.conf db sync > /dev/null
		touch "$STATE/placement.ready"
	fi
}
start_placement() {
	uwsgi_daemon placement 8778 /usr/bin/placement-api
	wait_for 60 placement http_up http://$LO:8778/
}

setup_nova() {
	local cells
	mkdir -p "$STATE/nova/instances" "$STATE/nova/locks"
	put /etc/nova/nova.conf 0640 <<-EOF
	[DEFAULT]
	host = backstack
	my_ip = $LO
	state_path = $STATE/nova
	instances_path = $STATE/nova/instances
	transport_url = rabbit://guest:guest@$LO:5672/
	compute_driver = $( [ "$VIRT" = libvirt ] && echo libvirt.LibvirtDriver || echo fake.FakeDriver )
	enabled_apis = osapi_compute
	osapi_compute_listen = $LO
	osapi_compute_workers = 1
	metadata_workers = 1
	[api]
	auth_strategy = keystone
	[wsgi]
	api_paste_config = /etc/nova/api-paste.ini
	[api_database]
	connection = $(dburl nova_api)
	[database]
	connection = $(dburl nova)
	[conductor]
	workers = 1
	[scheduler]
	workers = 1
	discover_hosts_in_cells_interval = 10
	[glance]
	api_servers = http://$LO:9292
	[cinder]
	os_region_name = RegionOne
	catalog_info = volumev3::publicURL
	[oslo_concurrency]
	lock_path = $STATE/nova/locks
	[placement]
	$(service_auth placement)
	[neutron]
	$(service_auth neutron)
	# Debian's Zed carries the fix for CVE-2023-2088: Cinder refuses to delete an attachment Nova uses
	# (ConflictNovaUsingAttachment) unless Nova's request also carries a service token.
	[service_user]
	send_service_user_token = true
	$(service_auth nova)
	[vnc]
	enabled = false
	[libvirt]
	virt_type = $VIRT_TYPE
	# Chosen by the probe: the host CPU when a guest runs with it, else the hypervisor's default model (nested KVM,
	# plain QEMU/TCG).
	cpu_mode = $CPU_MODE
	$(key_manager)
	$(authtoken nova)
	EOF
	if newer "$STATE/nova.ready" /etc/nova/nova.conf; then
		{
			nova-manage api_db sync
			nova-manage cell_v2 map_cell0
			# Not `| grep -q`: grep quitting early SIGPIPEs nova-manage, pipefail then calls create_cell, which fails on the
			# existing cell (seen once, and the failure message went into this log).
			cells=$(nova-manage cell_v2 list_cells)
			grep -q ' cell1 ' <<< "$cells" || nova-manage cell_v2 create_cell --name cell1
			nova-manage db sync
		} > "$LOGS/nova-manage.log" 2>&1
		touch "$STATE/nova.ready"
	fi
}
start_nova() {
	# Single-threaded uwsgi workers: nova-api is an eventlet program; with threads a boot-from-volume POST once hung.
	uwsgi_daemon nova-api 8774 /usr/bin/nova-api-wsgi 2 1
	daemon nova-conductor nova-conductor --config-file /etc/nova/nova.conf
	daemon nova-scheduler nova-scheduler --config-file /etc/nova/nova.conf
	[ "$(virt_of_state)" = libvirt ] && start_libvirt
	# Started through python3-nova, which the fake driver needs (the nova-compute package is only there for libvirt).
	daemon nova-compute $PY -c 'import sys; from nova.cmd.compute import main; sys.argv[0] = "nova-compute"; sys.exit(main())' \
		--config-file /etc/nova/nova.conf
	wait_for 90 nova-api http_up http://$LO:8774/
}
nova_compute_up() {
	nova-manage cell_v2 discover_hosts > /dev/null 2>&1 || true
	OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml OS_CLOUD=real-admin $PY /usr/bin/openstack compute service list \
		-f value -c Binary -c State 2>/dev/null | grep -q '^nova-compute up$'
}
nova_finish() {
	wait_for 120 nova-compute nova_compute_up
	if ! OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml OS_CLOUD=real-admin $PY /usr/bin/openstack flavor show bs.tiny > /dev/null 2>&1; then
		OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml OS_CLOUD=real-admin $PY /usr/bin/openstack flavor create \
			--id 1 --vcpus 1 --ram 256 --disk 1 bs.tiny > /dev/null
	fi
}

# ------------------------------------------------------------------------------------------------ libvirt

# Nova's fake driver uploads nothing for a server's snapshot and never does Nova-assisted volume snapshots (which Cinder's
# NFS driver needs for an in-use volume). libvirt with QEMU does both. No systemd: virtlogd and libvirtd run like the
# other daemons. QEMU runs as root: the instances, Nova's NFS mounts and Cinder's volume files all live under $STATE
# (mode 700), and libvirt must not chown Cinder's files (dynamic_ownership off).
virt_of_state() { cat "$STATE/virt" 2>/dev/null || echo fake; }

setup_libvirt() {
	put /etc/libvirt/qemu.conf 0600 <<-'EOF'
	# backstack-real (test/real-cloud/provision.sh): QEMU as root, files left as they are, no confinement, host mounts.
	user = "root"
	group = "root"
	dynamic_ownership = 0
	security_driver = "none"
	# No private mount namespace per guest: Nova mounts a volume's NFS share (here a bind mount) after the guest started,
	# and / is not a shared mount here, so the guest's own namespace would never see it ("Could not open ...").
	namespaces = []
	EOF
	# The default NAT network would need dnsmasq; Nova's servers here have no network at all.
	rm -f /etc/libvirt/qemu/networks/autostart/default.xml
}
libvirt_up() { virsh -c qemu:///system version; }
start_libvirt() {
	mkdir -p /run/libvirt /var/log/libvirt/qemu
	daemon virtlogd virtlogd
	daemon libvirtd libvirtd
	wait_for 30 libvirtd libvirt_up
}

# kvm when /dev/kvm can be opened and libvirt offers it, else qemu (TCG, slow but enough for a guest that sits in its BIOS).
virt_type_here() {
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && virsh -c qemu:///system capabilities 2>/dev/null | grep -q "domain type='kvm'"; then
		echo kvm
	else
		echo qemu
	fi
}

# probe_libvirt TYPE [CPU_MODE]: does a transient guest (64 MiB, a blank 1 MiB disk, the CPU mode Nova will ask for)
# run under libvirt for 2 s? Prints why not. Nested KVM may run a guest with the default CPU yet kill one with the host's
# CPU ("failed to set MSR 0x10a": the host CPU's arch-capabilities MSR is not writable in the nested guest).
probe_libvirt() {
	local type=$1 cpu=${2:-none} name=backstack-real-probe disk="$STATE/libvirt-probe.raw" state
	virsh -c qemu:///system destroy "$name" > /dev/null 2>&1 || true
	truncate -s 1M "$disk"
	virsh -c qemu:///system create /dev/stdin > "$LOGS/libvirt-probe.log" 2>&1 <<-EOF || { cat "$LOGS/libvirt-probe.log"; return 1; }
	<domain type='$type'>
	  <name>$name</name>
	  <memory unit='MiB'>64</memory>
	  <vcpu>1</vcpu>
	  <os><type arch='x86_64'>hvm</type></os>
	  $( [ "$cpu" = none ] || echo "<cpu mode='$cpu'/>")
	  <devices>
	    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$disk'/><target dev='vda' bus='virtio'/></disk>
	  </devices>
	</domain>
	EOF
	sleep 2
	state=$(virsh -c qemu:///system domstate "$name" 2>&1 || true)
	virsh -c qemu:///system destroy "$name" > /dev/null 2>&1 || true
	rm -f "$disk"
	[ "$state" = running ] || { echo "probe guest is '$state'"; return 1; }
}

# Sets VIRT (libvirt | fake), VIRT_TYPE (kvm | qemu) and CPU_MODE (host-passthrough | none), and records VIRT in $STATE/virt.
choose_virt() {
	local why
	VIRT=fake VIRT_TYPE=qemu CPU_MODE=none
	if [ "$VIRT_WANTED" != fake ]; then
		if ! command -v libvirtd > /dev/null; then
			why="libvirtd is not installed"
		else
			setup_libvirt
			if running libvirtd && newer "$PIDS/libvirtd.pid" /etc/libvirt/qemu.conf; then stop_daemon libvirtd; fi
			if ! (start_libvirt) > "$LOGS/libvirt-start.log" 2>&1; then
				why="libvirtd does not start: $(tail -n 3 "$LOGS/libvirt-start.log" "$LOGS/libvirtd.log" | tr '\n' ' ')"
			else
				VIRT_TYPE=$(virt_type_here)
				if [ "$VIRT_TYPE" = kvm ] && probe_libvirt kvm host-passthrough > /dev/null; then
					VIRT=libvirt CPU_MODE=host-passthrough
				elif why=$(probe_libvirt "$VIRT_TYPE" none); then
					VIRT=libvirt
				fi
			fi
		fi
		if [ "$VIRT" = fake ]; then
			[ "$VIRT_WANTED" = libvirt ] && fail "BACKSTACK_REAL_VIRT=libvirt but $why"
			log "libvirt unusable ($why): Nova uses the fake driver"
		fi
	fi
	if [ "$VIRT" = fake ]; then stop_guests; stop_daemon libvirtd; stop_daemon virtlogd; fi
	echo "$VIRT" > "$STATE/virt"
	log "nova virt driver: $VIRT$([ "$VIRT" = libvirt ] && echo " ($VIRT_TYPE, cpu_mode $CPU_MODE)")"
}

# Guests outlive libvirtd; `stop` ends them (Nova sees them SHUTOFF after a start).
stop_guests() {
	local name
	running libvirtd || return 0
	for name in $(virsh -c qemu:///system list --name 2>/dev/null); do
		virsh -c qemu:///system destroy "$name" > /dev/null 2>&1 && log "destroyed guest $name"
	done
}

# ------------------------------------------------------------------------------------------------ commands

ALL_DAEMONS="mariadb rabbitmq keystone barbican glance $CINDER_DAEMONS neutron placement nova-api nova-conductor nova-scheduler virtlogd libvirtd nova-compute"

prepare_dirs() { mkdir -p "$STATE" "$LOGS" "$PIDS"; chmod 700 "$STATE"; }

start_all() {
	step mariadb start_mariadb
	step rabbitmq start_rabbitmq
	step keystone start_keystone
	step barbican start_barbican
	step glance start_glance
	step cinder start_cinder
	if [ "$WITH_NOVA" = 1 ] && [ -f "$STATE/nova.ready" ]; then
		step neutron start_neutron
		step placement start_placement
		step nova start_nova
	fi
	step cinder-services wait_for 120 "cinder services" cinder_services_up
	if [ "$WITH_NOVA" = 1 ] && [ -f "$STATE/nova.ready" ]; then step nova-compute wait_for 120 nova-compute nova_compute_up; fi
}

# The files each daemon reads at start.
config_of() {
	case $1 in
		rabbitmq) echo /etc/rabbitmq/rabbitmq-env.conf ;;
		keystone) echo /etc/keystone/keystone.conf ;;
		barbican) echo /etc/barbican/barbican.conf ;;
		glance) echo /etc/glance/glance-api.conf ;;
		cinder-volume) echo /etc/cinder/cinder.conf /etc/cinder/nfs_shares /usr/local/lib/python3.11/dist-packages/backstack_real_nfs.py ;;
		cinder-*) echo /etc/cinder/cinder.conf ;;
		neutron) echo /etc/neutron/neutron.conf /etc/neutron/plugins/ml2/ml2_conf.ini ;;
		placement) echo /etc/placement/placement.conf ;;
		nova-*) echo /etc/nova/nova.conf ;;
		libvirtd) echo /etc/libvirt/qemu.conf ;;
	esac
}

# Restart every running daemon whose configuration is newer than its pidfile (i.e. than its start).
restart_changed() {
	local name
	for name in $ALL_DAEMONS; do
		[ "$name" = mariadb ] && continue
		# shellcheck disable=SC2046
		if running "$name" && newer "$PIDS/$name.pid" $(config_of "$name"); then
			log "configuration changed: restarting $name"
			stop_daemon "$name"
		fi
	done
}

provision() {
	[ "$(id -u)" = 0 ] || fail "run me as root"
	prepare_dirs
	PW=$(service_password)
	step packages install_packages
	local t0; t0=$(date +%s)
	step mariadb start_mariadb
	step mariadb-setup setup_mariadb
	step rabbitmq start_rabbitmq
	step keystone-config setup_keystone
	write_clouds
	restart_changed
	step keystone start_keystone
	step identity setup_identity
	step barbican-config setup_barbican
	step glance-config setup_glance
	step cinder-config setup_cinder
	if [ "$WITH_NOVA" = 1 ]; then
		step neutron-config setup_neutron
		step placement-config setup_placement
		step virt choose_virt
		step nova-config setup_nova
	fi
	restart_changed
	start_all
	[ "$WITH_NOVA" = 1 ] && step nova-finish nova_finish
	log "configure+start: $(( $(date +%s) - t0 ))s; total: $(( $(date +%s) - STARTED_AT ))s"
	log "ready. Clouds: OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml, OS_CLOUD=real-admin | real-member | real-member2"
}

stop_all() {
	local name rabbit_was_ours=0
	# The OpenStack services first (they need RabbitMQ and the database to shut down cleanly), the database last.
	stop_guests
	for name in nova-compute libvirtd virtlogd nova-scheduler nova-conductor nova-api placement neutron \
		cinder-backup cinder-volume cinder-scheduler cinder-api glance barbican keystone; do
		stop_daemon "$name"
	done
	if running rabbitmq; then rabbit_was_ours=1; rabbitmqctl -n rabbit@localhost stop > /dev/null 2>&1 || true; fi
	stop_daemon rabbitmq
	stop_daemon mariadb
	# rabbitmq-server started epmd as a daemon of its own (outside the session); it serves only our node.
	if [ $rabbit_was_ours = 1 ]; then epmd -kill > /dev/null 2>&1 || true; fi
	local mnt
	for mnt in $(awk -v base="$STATE/cinder/mnt" 'index($2, base) == 1 {print $2}' /proc/mounts); do
		umount "$mnt" && log "unmounted $mnt"
	done
	log "stopped"
}

status_all() {
	local name state dead=0 expected=$ALL_DAEMONS
	[ "$WITH_NOVA" = 1 ] || expected="mariadb rabbitmq keystone barbican glance $CINDER_DAEMONS"
	[ "$(virt_of_state)" = libvirt ] || expected=$(echo "$expected" | sed 's/ virtlogd libvirtd / /')
	for name in $expected; do
		if [ ! -f "$PIDS/$name.pid" ]; then
			printf '%-16s %s\n' "$name" 'not started'; dead=1; continue
		fi
		running "$name" && state=running || { state=DEAD; dead=1; }
		printf '%-16s pid %-8s %s\n' "$name" "$(cut -d' ' -f1 "$PIDS/$name.pid")" "$state"
	done
	[ $dead = 0 ] || { echo "some daemons are not running: run $0 (or $0 start)"; return 1; }
	if [ -f "$ETC/clouds.yaml" ] && running keystone; then
		if OS_CLIENT_CONFIG_FILE=$ETC/clouds.yaml OS_CLOUD=real-member $PY /usr/bin/openstack token issue -f value -c project_id > /dev/null 2>&1; then
			echo "token for real-member: ok"
		else
			echo "token for real-member: FAILED"; return 1
		fi
	else
		echo "cloud not running"; return 1
	fi
}

wipe_all() {
	local d
	if mysqladmin --socket=$SOCK ping > /dev/null 2>&1; then
		for d in $DATABASES; do sql "DROP DATABASE IF EXISTS $d"; done
	fi
	stop_all
	rm -rf "$STATE" /etc/keystone/fernet-keys /etc/keystone/credential-keys /var/lib/rabbitmq/mnesia
	log "wiped (packages and $ETC/password kept)"
}

case "${1:-provision}" in
	provision | all) provision ;;
	start) prepare_dirs; PW=$(service_password); start_all; log "started" ;;
	stop) prepare_dirs; stop_all ;;
	status) status_all ;;
	# Identity first (it logs in as real-admin, which clouds.yaml already has), then the clouds that name what it made.
	identity) prepare_dirs; PW=$(service_password); step identity setup_identity; write_clouds; log "identity and clouds.yaml in place" ;;
	wipe) prepare_dirs; wipe_all ;;
	*) echo "usage: $0 [provision|start|stop|status|identity|wipe]" >&2; exit 2 ;;
esac
