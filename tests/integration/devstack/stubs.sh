# Devstack's helper functions as the plugin test needs them: each records
# its call in $STUB_CALLS; files are edited for real.
# shellcheck shell=bash disable=SC2034

STUB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

function stub_call { echo "$*" >> "$STUB_CALLS"; }
function iniset { "$PYTHON" "$STUB_DIR/ini.py" set "$@"; }
function iniget { "$PYTHON" "$STUB_DIR/ini.py" get "$@"; }
function inicomment { "$PYTHON" "$STUB_DIR/ini.py" comment "$@"; }
function iniadd_literal { "$PYTHON" "$STUB_DIR/ini.py" add "$@"; }
function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
    done
    return 1
}
function enable_service { ENABLED_SERVICES+=",$1"; }
function define_plugin { stub_call define_plugin "$@"; }
function pip_install { stub_call pip_install "$@"; }
function install_package { stub_call install_package "$@"; }
function sudo { "$@"; }
function echo_summary { echo "summary: $*"; }
function warn { shift; echo "WARNING: $*" >&2; }
function die { shift; echo "ERROR: $*" >&2; exit 1; }
function trueorfalse {
    local value=${!2:-$1}
    case "${value,,}" in
        1|yes|true|on) echo True ;;
        *) echo False ;;
    esac
}
function restart_service { stub_call restart_service "$@"; }
function wait_for_service { stub_call wait_for_service "$@"; }
function systemctl_stub {
    stub_call systemctl "$@"
    [[ "$1" != is-active ]] || [[ " $STUB_ACTIVE_UNITS " == *" ${*: -1} "* ]]
}
SYSTEMCTL=systemctl_stub
function curl {
    local url=${*: -1}
    stub_call curl "$url"
    if [[ " $STUB_SILENT_URLS " != *" $url "* ]]; then
        printf 'HTTP/1.1 401 Unauthorized\r\nX-Requestshook-Request-Id: 0f\r\n\r\n'
    fi
}
function openstack {
    stub_call openstack "$@"
    printf '%s\n' "$STUB_ENDPOINTS"
}
