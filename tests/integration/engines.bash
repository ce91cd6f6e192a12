# What the engine tests share (podman.bats, docker.bats, containerd.bats): a free TCP port on
# 127.0.0.1, a bounded HTTP fetch from the host, and the test image as a docker-archive tar, made
# offline from the suite's busybox rootfs. Everything stays on 127.0.0.1.

# free_port: helpers.bash's.

# http_get URL: the body, fetched once, within 5 seconds (curl when installed, else busybox wget, whose
# -T Debian's busybox lacks: `timeout` bounds it).
http_get() {
	if command -v curl >/dev/null; then
		curl -sSf --max-time 5 "$1"
	else
		timeout -k 2 5 busybox wget -q -O - "$1"
	fi
}

# http_get_wait URL WANT: fetches URL until the body is WANT (the server may still be starting),
# for at most about 10 seconds; prints the last body or error.
http_get_wait() {
	local url=$1 want=$2 body=
	for _ in $(seq 40); do
		body=$(http_get "$url" 2>&1) || body="(failed) $body"
		if [ "$body" = "$want" ]; then
			echo "$body"
			return 0
		fi
		sleep 0.25
	done
	echo "GET $url: expected '$want', last got: $body" >&2
	return 1
}

# image_archive ROOTFS TAR NAME: writes TAR, a docker-archive (`docker save` format, which `docker
# load`, `podman load` and `ctr image import` read) of one layer holding ROOTFS with its files owned by
# root, tagged NAME (e.g. urun-busybox:latest), with `CMD ["/bin/sh"]`.
image_archive() {
	local rootfs=$1 tar=$2 name=$3 work diff cfg cfgid
	work=$(mktemp -d "${TMPDIR:-/tmp}/urun-image.XXXXXX") || return 1
	mkdir "$work/layer"
	tar --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer/layer.tar" . || return 1
	diff=$(sha256sum "$work/layer/layer.tar" | cut -d' ' -f1)
	cfg=$(jq -cn --arg diff "sha256:$diff" '{
		architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"]},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created: "1970-01-01T00:00:00Z", created_by: "urun test suite: busybox rootfs"}]}')
	case $(uname -m) in
	aarch64) cfg=$(jq -c '.architecture = "arm64"' <<<"$cfg") ;;
	esac
	cfgid=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
	printf '%s' "$cfg" >"$work/$cfgid.json"
	jq -cn --arg c "$cfgid.json" --arg n "$name" '[{Config: $c, RepoTags: [$n], Layers: ["layer/layer.tar"]}]' \
		>"$work/manifest.json"
	tar -C "$work" -cf "$tar" manifest.json "$cfgid.json" layer/layer.tar
	local rc=$?
	rm -rf "$work"
	return "$rc"
}
