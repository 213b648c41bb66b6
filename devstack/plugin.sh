#!/bin/bash
#
# requestshook devstack plugin: record every HTTP call between the
# OpenStack services of this devstack into one shared log.
#
#   [[local|localrc]]
#   enable_plugin requestshook <git URL of requestshook, or file:///path/to/checkout> [branch]
#
# stack install      pip-installs requestshook (its requestshook.pth too)
# stack post-config  writes /etc/requestshook/{requestshook.conf,
#                    should_not_hook.json}, makes the log, puts the filter
#                    into every enabled service's paste file, serves
#                    keystone and placement through requestshook.wsgi and
#                    turns the startup hook on in the daemons' units
# stack extra        checks each service echoes X-Requestshook-Request-Id
# unstack / clean    undoes all of that (clean also drops the config)

# Quiet while the functions are defined; the phases below run traced.
_XTRACE_REQUESTSHOOK=$(set +o | grep xtrace)
set +o xtrace

REQUESTSHOOK_DEFAULT_CONF=/etc/requestshook/requestshook.conf
REQUESTSHOOK_WSGI_MODULE=requestshook.wsgi:application
REQUESTSHOOK_DROPIN=requestshook.conf

# requestshook_wanted NAME: is NAME in REQUESTSHOOK_SERVICES?
function requestshook_wanted {
    [[ ",${REQUESTSHOOK_SERVICES// /}," == *",$1,"* ]]
}

# requestshook_cli ARGS...: the requestshook command devstack installed.
function requestshook_cli {
    local command=requestshook
    if [[ -n "${DEVSTACK_VENV:-}" && -x "$DEVSTACK_VENV/bin/requestshook" ]]; then
        command=$DEVSTACK_VENV/bin/requestshook
    fi
    "$command" "$@"
}

# The paste files of the enabled services, one "FILE SERVICE-NAME" a line.
function requestshook_paste_files {
    if requestshook_wanted glance && is_service_enabled g-api; then
        echo "${GLANCE_API_PASTE_INI:-/etc/glance/glance-api-paste.ini} glance-api"
    fi
    if requestshook_wanted nova && is_service_enabled n-api; then
        echo "${NOVA_API_PASTE_INI:-/etc/nova/api-paste.ini} nova-api"
    fi
    if requestshook_wanted cinder && is_service_enabled c-api; then
        echo "${CINDER_API_PASTE_INI:-/etc/cinder/api-paste.ini} cinder-api"
    fi
    if requestshook_wanted neutron && is_service_enabled q-svc neutron-api; then
        echo "${Q_API_PASTE_FILE:-/etc/neutron/api-paste.ini} neutron-server"
    fi
    if requestshook_wanted swift && is_service_enabled s-proxy; then
        echo "${SWIFT_CONF_DIR:-/etc/swift}/proxy-server.conf swift-proxy-server"
    fi
}

# The uwsgi inis of the paste-less services, "INI NAME APP UNIT URL" a
# line; URL answers once the service is back up.
function requestshook_uwsgi_files {
    if requestshook_wanted keystone && is_service_enabled key; then
        echo "${KEYSTONE_PUBLIC_UWSGI_CONF:-/etc/keystone/keystone-uwsgi-public.ini} keystone $REQUESTSHOOK_KEYSTONE_WSGI_APP devstack@keystone.service ${KEYSTONE_SERVICE_URI:-}/v3/"
    fi
    if requestshook_wanted placement && is_service_enabled placement-api; then
        echo "${PLACEMENT_UWSGI_CONF:-/etc/placement/placement-uwsgi.ini} placement-api $REQUESTSHOOK_PLACEMENT_WSGI_APP devstack@placement-api.service ${PLACEMENT_SERVICE_PROTOCOL:-http}://${PLACEMENT_SERVICE_HOST:-${SERVICE_HOST:-}}/placement"
    fi
}

# The devstack units (without devstack@ and .service) the daemons entry
# UNIT stands for, "UNIT" a line.  The conductors of the cells are enabled
# only when nova starts (enable_nova_fleet), after post-config, and the fake
# driver runs one n-cpu-N unit per fake compute.
function requestshook_daemon_units {
    local unit=$1 i
    case "$unit" in
        n-cond)
            is_service_enabled n-cond || return 0
            echo n-cond
            echo n-super-cond
            for i in $(seq 1 "${NOVA_NUM_CELLS:-1}"); do
                echo "n-cond-cell$i"
            done
            ;;
        n-super-cond|n-cond-cell*)
            if is_service_enabled n-cond "$unit"; then
                echo "$unit"
            fi
            ;;
        n-cpu)
            is_service_enabled n-cpu || return 0
            echo n-cpu
            if [[ "${VIRT_DRIVER:-}" == fake ]]; then
                for i in $(seq 1 "${NUMBER_FAKE_NOVA_COMPUTE:-1}"); do
                    echo "n-cpu-$i"
                done
            fi
            ;;
        *)
            if is_service_enabled "$unit"; then
                echo "$unit"
            fi
            ;;
    esac
}

# requestshook_sink_wanted KIND: does REQUESTSHOOK_SINKS name a KIND sink?
function requestshook_sink_wanted {
    [[ ",${REQUESTSHOOK_SINKS// /}," == *",$1"* ]]
}

function install_requestshook {
    pip_install "$REQUESTSHOOK_DIR"
    if requestshook_sink_wanted redis; then
        pip_install redis
    fi
    if requestshook_sink_wanted otlp; then
        pip_install opentelemetry-proto
    fi
    if [[ "$REQUESTSHOOK_REDIS_SERVER" == True ]]; then
        install_requestshook_redis
    fi
}

# The Redis every node's redis sink writes to, on this node.
function install_requestshook_redis {
    install_package redis-server
    if ! grep -q "^bind .*$SERVICE_HOST" "$REQUESTSHOOK_REDIS_CONF"; then
        sudo sed -i "s/^bind .*/& $SERVICE_HOST/" "$REQUESTSHOOK_REDIS_CONF"
    fi
    restart_service redis-server
}

function configure_requestshook_files {
    local group
    group=$(id -gn "$STACK_USER")
    sudo install -d -o "$STACK_USER" -g "$group" -m 0755 "$REQUESTSHOOK_CONF_DIR"
    install -m 0644 "$REQUESTSHOOK_FILTERS" "$REQUESTSHOOK_CONF_DIR/should_not_hook.json"
    iniset "$REQUESTSHOOK_CONF" DEFAULT log_file "$REQUESTSHOOK_LOG_FILE"
    iniset "$REQUESTSHOOK_CONF" DEFAULT max_body_bytes "$REQUESTSHOOK_MAX_BODY_BYTES"
    iniset "$REQUESTSHOOK_CONF" DEFAULT filters_file "$REQUESTSHOOK_CONF_DIR/should_not_hook.json"
    iniset "$REQUESTSHOOK_CONF" DEFAULT sinks "$REQUESTSHOOK_SINKS"
    iniset "$REQUESTSHOOK_CONF" DEFAULT otlp_endpoint "$REQUESTSHOOK_OTLP_ENDPOINT"
    iniset "$REQUESTSHOOK_CONF" DEFAULT emit_traceparent "$REQUESTSHOOK_EMIT_TRACEPARENT"
    # Every devstack service runs as $STACK_USER: 0750/0640 keep the log
    # (redacted, but full of bodies) from everybody else.
    sudo install -d -o "$STACK_USER" -g "$group" -m 0750 "$(dirname "$REQUESTSHOOK_LOG_FILE")"
    if [[ ! -e "$REQUESTSHOOK_LOG_FILE" ]]; then
        sudo install -o "$STACK_USER" -g "$group" -m 0640 /dev/null "$REQUESTSHOOK_LOG_FILE"
    fi
}

function configure_requestshook_paste {
    local file name section
    while read -r file name; do
        if [[ ! -f "$file" ]]; then
            warn $LINENO "requestshook: $file not found, $name not recorded"
            continue
        fi
        requestshook_cli paste insert --no-backup --service-name "$name" "$file" || \
            die $LINENO "requestshook: cannot insert the filter into $file"
        if [[ "$REQUESTSHOOK_CONF" != "$REQUESTSHOOK_DEFAULT_CONF" ]]; then
            # [filter:requestshook], and [filter:requestshook-meta] where a
            # pipeline has a process of its own (nova's metadata API).
            while read -r section; do
                iniset "$file" "$section" config_file "$REQUESTSHOOK_CONF"
            done < <(sed -n 's/^\[\(filter:requestshook\(-[^]]*\)\?\)\]\s*$/\1/p' "$file")
        fi
    done < <(requestshook_paste_files)
}

# requestshook_restart_if_running UNIT URL: started before post-config
# (keystone is), it must restart to load the wrapper, and answer again
# before stack.sh goes on.  $SYSTEMCTL is `systemctl --user` with
# USER_UNITS=True, where devstack's restart_service would fail.
function requestshook_restart_if_running {
    local systemctl=${SYSTEMCTL:-sudo systemctl}
    if $systemctl is-active --quiet "$1"; then
        $systemctl restart "$1"
        if [[ -n "$2" && "$2" != /* ]] && \
                ! wait_for_service "${SERVICE_TIMEOUT:-60}" "$2"; then
            die $LINENO "requestshook: $1 did not answer at $2 after restarting"
        fi
    fi
}

function configure_requestshook_uwsgi {
    local ini name app unit url module
    while read -r ini name app unit url; do
        if [[ ! -f "$ini" ]]; then
            warn $LINENO "requestshook: $ini not found, $name not recorded"
            continue
        fi
        module=$(iniget "$ini" uwsgi module)
        if [[ "$module" == "$REQUESTSHOOK_WSGI_MODULE" ]]; then
            continue
        fi
        cp -p "$ini" "$ini.requestshook.bak"
        if [[ -n "$module" ]]; then
            app=$module
        fi
        if [[ -n "$(iniget "$ini" uwsgi wsgi-file)" ]]; then
            inicomment "$ini" uwsgi wsgi-file
        fi
        iniset "$ini" uwsgi module "$REQUESTSHOOK_WSGI_MODULE"
        iniadd_literal "$ini" uwsgi env "REQUESTSHOOK_WSGI_APP=$app"
        iniadd_literal "$ini" uwsgi env "REQUESTSHOOK_SERVICE_NAME=$name"
        if [[ "$REQUESTSHOOK_CONF" != "$REQUESTSHOOK_DEFAULT_CONF" ]]; then
            iniadd_literal "$ini" uwsgi env "REQUESTSHOOK_CONFIG=$REQUESTSHOOK_CONF"
        fi
        requestshook_restart_if_running "$unit" "$url"
    done < <(requestshook_uwsgi_files)
}

# Processes with no pipeline get the startup hook through a systemd
# drop-in; devstack writes the units themselves later, when it starts them.
function configure_requestshook_daemons {
    local entry unit name folder
    requestshook_wanted daemons || return 0
    for entry in ${REQUESTSHOOK_DAEMONS//,/ }; do
        name=${entry#*:}
        while read -r unit; do
            [[ -n "$unit" ]] || continue
            folder=${SYSTEMD_DIR:-/etc/systemd/system}/devstack@$unit.service.d
            sudo mkdir -p "$folder"
            {
                echo "[Service]"
                echo "Environment=REQUESTSHOOK_ENABLE=$name"
                if [[ "$REQUESTSHOOK_CONF" != "$REQUESTSHOOK_DEFAULT_CONF" ]]; then
                    echo "Environment=REQUESTSHOOK_CONFIG=$REQUESTSHOOK_CONF"
                fi
            } | sudo tee "$folder/$REQUESTSHOOK_DROPIN" > /dev/null
        done < <(requestshook_daemon_units "${entry%%:*}")
    done
    ${SYSTEMCTL:-sudo systemctl} daemon-reload
}

function configure_requestshook {
    configure_requestshook_files
    configure_requestshook_paste
    configure_requestshook_uwsgi
    configure_requestshook_daemons
}

# The project a catalog service type belongs to, if requestshook hooks it.
function requestshook_project_of {
    case "$1" in
        identity) echo keystone ;;
        image) echo glance ;;
        compute) echo nova ;;
        volume|volumev3|block-storage) echo cinder ;;
        network) echo neutron ;;
        object-store) echo swift ;;
        placement) echo placement ;;
    esac
}

function check_requestshook {
    local type url project failed=0
    while read -r type url; do
        project=$(requestshook_project_of "$type")
        if [[ -z "$project" || -z "$url" ]] || ! requestshook_wanted "$project"; then
            continue
        fi
        url=${url%%AUTH_*}
        url=${url%%%(*}
        url=${url%%\$(*}
        if [[ "$type" == image ]]; then
            # glance answers its root in versionnegotiation, before us.
            url=${url%/}/v2/images
        fi
        if curl -s -m 10 -o /dev/null -D - "$url" | grep -qi '^X-Requestshook-Request-Id:'; then
            echo "requestshook: $project ($url) records its calls"
        else
            failed=1
            warn $LINENO "requestshook: $project ($url) does not echo X-Requestshook-Request-Id"
        fi
    done < <(openstack --os-cloud devstack-admin endpoint list --interface public \
        -f value -c "Service Type" -c URL)
    if [[ "$failed" == 1 && "$REQUESTSHOOK_STRICT_CHECK" == True ]]; then
        die $LINENO "requestshook: some services are not recorded"
    fi
}

function unconfigure_requestshook {
    local file ini folder
    for file in "${GLANCE_API_PASTE_INI:-/etc/glance/glance-api-paste.ini}" \
            "${NOVA_API_PASTE_INI:-/etc/nova/api-paste.ini}" \
            "${CINDER_API_PASTE_INI:-/etc/cinder/api-paste.ini}" \
            "${Q_API_PASTE_FILE:-/etc/neutron/api-paste.ini}" \
            "${SWIFT_CONF_DIR:-/etc/swift}/proxy-server.conf"; do
        if [[ -f "$file" ]] && grep -q '^\[filter:requestshook\]' "$file"; then
            requestshook_cli paste remove --no-backup "$file" || \
                warn $LINENO "requestshook: cannot remove the filter from $file"
        fi
    done
    for ini in "${KEYSTONE_PUBLIC_UWSGI_CONF:-/etc/keystone/keystone-uwsgi-public.ini}" \
            "${PLACEMENT_UWSGI_CONF:-/etc/placement/placement-uwsgi.ini}"; do
        if [[ -f "$ini.requestshook.bak" ]]; then
            mv -f "$ini.requestshook.bak" "$ini"
        fi
    done
    for folder in "${SYSTEMD_DIR:-/etc/systemd/system}"/devstack@*.service.d; do
        if [[ -f "$folder/$REQUESTSHOOK_DROPIN" ]] && \
                grep -q '^Environment=REQUESTSHOOK_ENABLE=' "$folder/$REQUESTSHOOK_DROPIN"; then
            sudo rm -f "$folder/$REQUESTSHOOK_DROPIN"
            sudo rmdir --ignore-fail-on-non-empty "$folder"
        fi
    done
    ${SYSTEMCTL:-sudo systemctl} daemon-reload
}

function cleanup_requestshook {
    unconfigure_requestshook
    # The log is the user's record: it stays.
    sudo rm -rf "$REQUESTSHOOK_CONF_DIR"
}

$_XTRACE_REQUESTSHOOK

if is_service_enabled requestshook; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing requestshook"
        install_requestshook
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring requestshook"
        configure_requestshook
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Checking that requestshook records the services"
        check_requestshook
    fi

    if [[ "$1" == "unstack" ]]; then
        unconfigure_requestshook
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_requestshook
    fi
fi
