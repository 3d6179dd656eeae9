//! CLIENT, COMMAND, CONFIG, INFO and the small server commands, byte for byte.

use crate::common::*;

#[tokio::test]
async fn client_name_id_setinfo_and_list() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let id = q(&mut c, "CLIENT ID").await;
    assert!(id.starts_with(':'), "{id}");
    assert_eq!(q(&mut c, "CLIENT GETNAME").await, "$-1\r\n");
    assert_eq!(q(&mut c, "CLIENT SETNAME conn1").await, "+OK\r\n");
    assert_eq!(q(&mut c, "CLIENT GETNAME").await, "$5\r\nconn1\r\n");
    assert_eq!(
        cmd(&mut c, &[b"CLIENT", b"SETNAME", b"a b"]).await,
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        q(&mut c, "CLIENT SETINFO LIB-NAME redis-py").await,
        "+OK\r\n"
    );
    assert_eq!(q(&mut c, "CLIENT SETINFO lib-ver 5.0.1").await, "+OK\r\n");
    assert_eq!(
        q(&mut c, "CLIENT SETINFO foo x").await,
        "-ERR Unrecognized option 'foo'\r\n"
    );
    assert_eq!(
        cmd(&mut c, &[b"CLIENT", b"SETINFO", b"lib-name", b"a b"]).await,
        b"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        q(&mut c, "CLIENT SETINFO").await,
        "-ERR wrong number of arguments for 'client|setinfo' command\r\n"
    );
    let st = node
        .server
        .clients
        .lock()
        .values()
        .next()
        .unwrap()
        .state
        .lock()
        .clone();
    assert_eq!(st.lib_name.as_deref(), Some(&b"redis-py"[..]));
    assert_eq!(st.lib_ver.as_deref(), Some(&b"5.0.1"[..]));
    let list = q(&mut c, "CLIENT LIST").await;
    let n = id.trim_start_matches(':').trim();
    let want = format!("id={n} addr=");
    assert!(list.contains(&want), "{list}");
    for field in [
        " name=conn1 ",
        " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=10 ",
        " events=r cmd=client|list user=default redir=-1 resp=2\n",
    ] {
        assert!(list.contains(field), "{field} in {list}");
    }
    let info = q(&mut c, "CLIENT INFO").await;
    assert!(
        info.contains(" cmd=client|info ") && info.ends_with("resp=2\n\r\n"),
        "{info}"
    );
    assert_eq!(
        q(&mut c, "CLIENT LIST ID x").await,
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(q(&mut c, "CLIENT LIST ID 999999").await, "$0\r\n\r\n");
    assert_eq!(q(&mut c, "CLIENT LIST ID 0 -1").await, "$0\r\n\r\n");
    assert_eq!(
        q(&mut c, "CLIENT KILL USER Default").await,
        "-ERR No such user 'Default'\r\n"
    );
    assert_eq!(
        q(&mut c, "CLIENT NOSUCH").await,
        "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn client_kill_closes_the_other_connection() {
    let node = start_node().await;
    let mut a = raw(&node).await;
    let mut b = raw(&node).await;
    let id = q(&mut b, "CLIENT ID").await;
    let id = id.trim_start_matches(':').trim();
    assert_eq!(q(&mut a, &format!("CLIENT KILL ID {id}")).await, ":1\r\n");
    assert!(b.closed().await);
    assert_eq!(
        q(&mut a, "CLIENT KILL 1.2.3.4:5").await,
        "-ERR No such client\r\n"
    );
    assert_eq!(
        q(&mut a, "CLIENT KILL ID 0").await,
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(q(&mut a, "CLIENT KILL ID 99999").await, ":0\r\n");
    // Killing yourself: the reply arrives, then the connection closes.
    let me = q(&mut a, "CLIENT ID").await;
    let me = me.trim_start_matches(':').trim();
    assert_eq!(
        q(&mut a, &format!("CLIENT KILL ID {me} SKIPME no")).await,
        ":1\r\n"
    );
    assert!(a.closed().await);
    node.stop().await;
}

#[tokio::test]
async fn command_info_docs_count() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let count = q(&mut c, "COMMAND COUNT").await;
    let n: usize = count[1..count.len() - 2].parse().unwrap();
    let all = q(&mut c, "COMMAND").await;
    assert!(all.starts_with(&format!("*{n}\r\n")), "{}", &all[..20]);
    // Redis 7.0.15's bytes (the `sentinel` flag is not listed).
    assert_eq!(
        q(&mut c, "COMMAND INFO ping").await,
        "*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n"
    );
    assert_eq!(q(&mut c, "COMMAND DOCS nosuch").await, "*0\r\n");
    let docs = q(&mut c, "COMMAND DOCS echo").await;
    assert!(
        docs.starts_with("*2\r\n$4\r\necho\r\n*10\r\n$7\r\nsummary\r\n"),
        "{docs}"
    );
    let setinfo = q(&mut c, "COMMAND DOCS client|setinfo").await;
    assert!(setinfo.contains("$5\r\n7.2.0\r\n"), "{setinfo}");
    assert_eq!(
        q(&mut c, "COMMAND GETKEYS get k").await,
        "*1\r\n$1\r\nk\r\n"
    );
    assert_eq!(
        q(&mut c, "COMMAND GETKEYS nosuch a").await,
        "-ERR Invalid command specified\r\n"
    );
    let list = q(&mut c, "COMMAND LIST").await;
    assert!(list.contains("$14\r\nclient|setinfo\r\n") && list.contains("$4\r\ninfo\r\n"));
    q(&mut c, "HELLO 3").await;
    assert_eq!(q(&mut c, "COMMAND INFO nosuch").await, "*1\r\n_\r\n");
    assert!(q(&mut c, "COMMAND DOCS get")
        .await
        .starts_with("%1\r\n$3\r\nget\r\n%"));
    node.stop().await;
}

#[tokio::test]
async fn config_get_set_like_redis() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(
        q(&mut c, "CONFIG GET save").await,
        "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    );
    assert_eq!(
        q(&mut c, "CONFIG GET appendonly").await,
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    assert_eq!(q(&mut c, "CONFIG GET nosuch*").await, "*0\r\n");
    assert_eq!(
        q(&mut c, "CONFIG SET foo 1").await,
        "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    );
    assert_eq!(
        q(&mut c, "CONFIG SET maxmemory lots").await,
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
    );
    // Atomic: the bad timeout keeps maxmemory unchanged.
    assert_eq!(
        q(&mut c, "CONFIG SET maxmemory 1gb timeout x").await,
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer\r\n"
    );
    assert_eq!(node.server.settings().maxmemory, 0);
    assert_eq!(
        q(
            &mut c,
            "CONFIG SET maxmemory 1gb maxmemory-policy allkeys-lru maxmemory-samples 7"
        )
        .await,
        "+OK\r\n"
    );
    {
        let s = node.server.settings();
        assert_eq!(s.maxmemory, 1 << 30);
        assert_eq!(s.maxmemory_policy.as_str(), "allkeys-lru");
        assert_eq!(s.maxmemory_samples, 7);
    }
    assert_eq!(
        q(&mut c, "CONFIG GET maxmemory").await,
        "*2\r\n$9\r\nmaxmemory\r\n$10\r\n1073741824\r\n"
    );
    assert_eq!(
        q(&mut c, "CONFIG SET maxmemory-policy bogus").await,
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n"
    );
    assert_eq!(
        q(&mut c, "CONFIG SET daemonize yes").await,
        "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n"
    );
    assert_eq!(
        q(&mut c, "CONFIG REWRITE").await,
        "-ERR The server is running without a config file\r\n"
    );
    assert_eq!(q(&mut c, "CONFIG RESETSTAT").await, "+OK\r\n");
    q(&mut c, "HELLO 3").await;
    assert_eq!(
        q(&mut c, "CONFIG GET timeout").await,
        "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    node.stop().await;
}

/// INFO's hit ratio is that of reads, as in Redis: a read counts a hit or a miss per
/// key (EXISTS too), a write counts none (LPUSH, HSET, SMOVE, BLPOP…), and a command
/// that looks at a key twice (SUNION checks types, then reads) counts it once.
#[tokio::test]
async fn keyspace_hits_and_misses_count_reads_only() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    for cmd in ["SET s 1", "RPUSH l a b", "HSET h f v", "SADD st a"] {
        q(&mut c, cmd).await;
    }
    q(&mut c, "CONFIG RESETSTAT").await;
    let stats = async |c: &mut _| {
        let info = q(c, "INFO stats").await;
        let field = |name: &str| {
            let at = info.find(name).expect(name) + name.len() + 1;
            info[at..]
                .split("\r\n")
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        };
        (field("keyspace_hits"), field("keyspace_misses"))
    };
    for (cmd, counted) in [
        ("GET s", (1, 0)),
        ("GET nx", (0, 1)),
        ("EXISTS s nx", (1, 1)),
        ("LPUSH l x", (0, 0)),
        ("LPUSH s x", (0, 0)),
        ("LPOP l", (0, 0)),
        ("HSET h f2 v", (0, 0)),
        ("HINCRBY h n 1", (0, 0)),
        ("SMOVE st st2 a", (0, 0)),
        ("BLPOP l 1", (0, 0)),
        ("SUNION st2 nx", (1, 1)),
        ("HGET h f", (1, 0)),
    ] {
        q(&mut c, "CONFIG RESETSTAT").await;
        q(&mut c, cmd).await;
        assert_eq!(stats(&mut c).await, counted, "{cmd}");
    }
    node.stop().await;
}

/// Commands count once they ran (a rejected one does not; INFO does not count itself)
/// and error replies count by code, rejected commands' included, as in Redis.
#[tokio::test]
async fn commands_processed_and_error_stats() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "SET s abc").await;
    q(&mut c, "CONFIG RESETSTAT").await;
    for cmd in [
        "INCR s",
        "LPUSH s x",
        "NOSUCH",
        "GET",
        "MULTI",
        "SET a 1",
        "EXEC",
    ] {
        q(&mut c, cmd).await;
    }
    let stats = q(&mut c, "INFO stats").await;
    assert!(
        stats.contains("\r\ntotal_commands_processed:6\r\n"),
        "{stats}"
    );
    assert!(stats.contains("\r\ntotal_error_replies:4\r\n"), "{stats}");
    assert_eq!(
        q(&mut c, "INFO errorstats").await,
        "$66\r\n# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_WRONGTYPE:count=1\r\n\r\n"
    );
    q(&mut c, "CONFIG RESETSTAT").await;
    assert_eq!(
        q(&mut c, "INFO errorstats").await,
        "$14\r\n# Errorstats\r\n\r\n"
    );
    node.stop().await;
}

/// INFO commandstats counts calls, rejections (refused before running: arity, inside
/// MULTI, from a script) and failures (an error reply) per command or subcommand, as
/// redis-server 7.0 counted this very sequence; EXEC and scripts count as well as the
/// commands they run.
#[tokio::test]
async fn command_stats_count_calls_rejections_and_failures() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "CONFIG RESETSTAT").await;
    for line in [
        "SET a 1",
        "GET a",
        "GET",
        "INCR a",
        "LPUSH a x",
        "CLIENT ID",
        "CLIENT foo",
        "CONFIG",
        "MULTI",
        "SET b 1",
        "LPUSH a 1",
        "INCR b",
        "EXEC",
        "MULTI",
        "GET",
        "EXEC",
    ] {
        q(&mut c, line).await;
    }
    for (eval, script) in [
        ("EVAL", "return redis.call('lpush','a','x')"),
        ("EVAL", "return redis.pcall('lpush','a','x')"),
        ("EVAL", "return 1"),
        ("EVAL", "return redis.pcall('get')"),
        ("EVAL", "return redis.pcall('config','get','x')"),
        ("EVAL_RO", "return redis.pcall('set','x','1')"),
        ("EVAL", "return redis.pcall('nosuch')"),
        ("EVAL", "return redis.pcall('client','nosuch')"),
    ] {
        cmd(&mut c, &[eval.as_bytes(), script.as_bytes(), b"0"]).await;
    }
    for line in [
        "MULTI", "SET", "INCR a", "EXEC", "EXEC x", "WATCH a", "MULTI", "PING", "EXEC",
    ] {
        q(&mut c, line).await;
    }
    let info = q(&mut c, "INFO commandstats").await;
    let body = info.split_once("# Commandstats\r\n").expect("header").1;
    // Times vary: check their form, then compare the counts.
    let masked: Vec<String> = body
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (head, rest) = l.split_once(",usec=").expect("usec");
            let (usec, rest) = rest.split_once(",usec_per_call=").expect("per call");
            let (per_call, counts) = rest.split_once(',').expect("counts");
            assert!(usec.parse::<u64>().is_ok(), "{l}");
            let (whole, cents) = per_call.split_once('.').expect("two decimals");
            assert!(whole.parse::<u64>().is_ok() && cents.len() == 2, "{l}");
            format!("{head},{counts}")
        })
        .collect();
    assert_eq!(
        masked,
        [
            "cmdstat_client|id:calls=1,rejected_calls=0,failed_calls=0",
            "cmdstat_config:calls=0,rejected_calls=1,failed_calls=0",
            "cmdstat_config|get:calls=0,rejected_calls=1,failed_calls=0",
            "cmdstat_config|resetstat:calls=1,rejected_calls=0,failed_calls=0",
            "cmdstat_eval:calls=7,rejected_calls=0,failed_calls=6",
            "cmdstat_eval_ro:calls=1,rejected_calls=0,failed_calls=1",
            "cmdstat_exec:calls=4,rejected_calls=1,failed_calls=2",
            "cmdstat_get:calls=1,rejected_calls=3,failed_calls=0",
            "cmdstat_incr:calls=2,rejected_calls=0,failed_calls=0",
            "cmdstat_lpush:calls=4,rejected_calls=0,failed_calls=4",
            "cmdstat_multi:calls=4,rejected_calls=0,failed_calls=0",
            "cmdstat_ping:calls=1,rejected_calls=0,failed_calls=0",
            "cmdstat_set:calls=2,rejected_calls=2,failed_calls=0",
            "cmdstat_watch:calls=1,rejected_calls=0,failed_calls=0",
        ]
    );
    // RESETSTAT counts itself once it ran, as in Redis.
    q(&mut c, "CONFIG RESETSTAT").await;
    let info = q(&mut c, "INFO commandstats").await;
    let body = info.split_once("# Commandstats\r\n").expect("header").1;
    assert!(
        body.starts_with("cmdstat_config|resetstat:calls=1,") && body.lines().count() == 2,
        "{info:?}"
    );
    node.stop().await;
}

/// Commands refused for want of AUTH count as rejected calls of the command refused.
#[tokio::test]
async fn command_stats_count_noauth_refusals() {
    let node = start_node_with(|s| s.requirepass = Some(b"pw".to_vec())).await;
    let mut c = raw(&node).await;
    assert_eq!(
        q(&mut c, "GET a").await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        q(&mut c, "CLIENT ID").await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(q(&mut c, "AUTH pw").await, "+OK\r\n");
    let info = q(&mut c, "INFO commandstats").await;
    for line in [
        "\r\ncmdstat_client|id:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n",
        "\r\ncmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n",
        "\r\ncmdstat_auth:calls=1,",
    ] {
        assert!(info.contains(line), "{line:?} not in {info:?}");
    }
    node.stop().await;
}

#[tokio::test]
async fn info_sections_and_keyspace() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let info = q(&mut c, "INFO").await;
    for needle in [
        "# Server\r\nredis_version:7.0.15\r\n",
        "\r\nredis_mode:standalone\r\n",
        "\r\narch_bits:64\r\n",
        "\r\nrun_id:",
        &format!("\r\ntcp_port:{}\r\n", node.addr.port()),
        "\r\nuptime_in_seconds:",
        "\r\nringcache_version:",
        "\r\n\r\n# Clients\r\nconnected_clients:1\r\n",
        "\r\nused_memory:",
        "\r\nused_memory_human:",
        "\r\nmaxmemory:0\r\n",
        "\r\nmaxmemory_policy:noeviction\r\n",
        "# Persistence\r\nloading:0\r\n",
        "\r\ntotal_connections_received:1\r\n",
        "\r\ntotal_commands_processed:",
        "\r\nexpired_keys:0\r\n",
        "\r\nevicted_keys:0\r\n",
        "\r\nkeyspace_hits:0\r\n",
        "\r\nkeyspace_misses:0\r\n",
        "# Replication\r\nrole:master\r\n",
        "# Cluster\r\ncluster_enabled:0\r\n",
        "# Keyspace\r\n\r\n",
    ] {
        assert!(info.contains(needle), "{needle:?} missing");
    }
    assert!(!info.contains("# Commandstats"));
    assert_eq!(q(&mut c, "INFO nosuch").await, "$0\r\n\r\n");
    assert_eq!(
        q(&mut c, "INFO cluster").await,
        "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"
    );
    assert_eq!(q(&mut c, "SET a 1").await, "+OK\r\n");
    assert_eq!(
        q(&mut c, "INFO keyspace").await,
        "$44\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n"
    );
    assert!(q(&mut c, "INFO everything")
        .await
        .contains("# Commandstats\r\n"));
    // INFO and DBSIZE inside EXEC (all shards already locked) must not deadlock.
    q(&mut c, "MULTI").await;
    q(&mut c, "INFO keyspace").await;
    q(&mut c, "DBSIZE").await;
    let exec = q(&mut c, "EXEC").await;
    assert!(
        exec.starts_with("*2\r\n$44\r\n# Keyspace") && exec.ends_with(":1\r\n"),
        "{exec}"
    );
    q(&mut c, "HELLO 3").await;
    assert_eq!(
        q(&mut c, "INFO cluster").await,
        "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn dbsize_flush_time_function_reset() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "SET a 1").await;
    q(&mut c, "SET b 1").await;
    assert_eq!(q(&mut c, "DBSIZE").await, ":2\r\n");
    assert_eq!(q(&mut c, "FLUSHDB FOO").await, "-ERR syntax error\r\n");
    assert_eq!(q(&mut c, "FLUSHDB ASYNC").await, "+OK\r\n");
    assert_eq!(q(&mut c, "DBSIZE").await, ":0\r\n");
    q(&mut c, "SET a 1").await;
    assert_eq!(q(&mut c, "FLUSHALL SYNC").await, "+OK\r\n");
    assert_eq!(q(&mut c, "DBSIZE").await, ":0\r\n");
    let t = q(&mut c, "TIME").await;
    assert!(t.starts_with("*2\r\n$10\r\n"), "{t}");
    assert!(q(&mut c, "LASTSAVE").await.starts_with(':'));
    assert_eq!(q(&mut c, "FUNCTION LIST").await, "*0\r\n");
    assert_eq!(q(&mut c, "FUNCTION FLUSH").await, "+OK\r\n");
    assert_eq!(
        q(&mut c, "FUNCTION FLUSH x").await,
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
    q(&mut c, "CLIENT SETNAME x").await;
    q(&mut c, "HELLO 3").await;
    q(&mut c, "MULTI").await;
    assert_eq!(q(&mut c, "RESET").await, "+RESET\r\n");
    assert_eq!(q(&mut c, "CLIENT GETNAME").await, "$-1\r\n");
    assert_eq!(q(&mut c, "EXEC").await, "-ERR EXEC without MULTI\r\n");
    node.stop().await;
}

/// With slowlog-log-slower-than 0 every command is logged, newest first, but EXEC
/// (its commands are, each): arguments as sent, passwords redacted, the client's
/// address and its name as of the command's end; a command a script called as Redis's
/// script client, `?:0` with no name.
#[tokio::test]
async fn slowlog_records_commands_as_redis_does() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(
        q(&mut c, "CONFIG SET slowlog-log-slower-than 0").await,
        "+OK\r\n"
    );
    assert_eq!(q(&mut c, "SLOWLOG RESET").await, "+OK\r\n");
    assert_eq!(q(&mut c, "CLIENT SETNAME me").await, "+OK\r\n");
    let script = "redis.call('set','a','1') return 1";
    cmd(&mut c, &[b"EVAL", script.as_bytes(), b"0"]).await;
    for line in ["MULTI", "SET b 2", "EXEC", "AUTH secret"] {
        q(&mut c, line).await;
    }
    let logged: Vec<(Vec<String>, String, String)> = node
        .server
        .slowlog
        .newest(None)
        .iter()
        .rev()
        .map(|e| {
            let args = e
                .args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned());
            let name = String::from_utf8_lossy(&e.name).into_owned();
            (args.collect(), e.peer.clone(), name)
        })
        .collect();
    let me = logged[0].1.clone();
    assert!(me.starts_with("127.0.0.1:"), "{me}");
    let entry = |args: &[&str], peer: &str, name: &str| {
        let args = args.iter().map(|a| a.to_string()).collect();
        (args, peer.to_string(), name.to_string())
    };
    assert_eq!(
        logged,
        [
            entry(&["SLOWLOG", "RESET"], &me, ""),
            entry(&["CLIENT", "SETNAME", "me"], &me, "me"),
            entry(&["set", "a", "1"], "?:0", ""),
            entry(&["EVAL", script, "0"], &me, "me"),
            entry(&["MULTI"], &me, "me"),
            entry(&["SET", "b", "2"], &me, "me"),
            entry(&["AUTH", "(redacted)"], &me, "me"),
        ]
    );
    assert_eq!(q(&mut c, "SLOWLOG LEN").await, ":7\r\n");
    // Off (negative): nothing is logged, however long it takes.
    assert_eq!(
        q(&mut c, "CONFIG SET slowlog-log-slower-than -1").await,
        "+OK\r\n"
    );
    assert_eq!(q(&mut c, "SLOWLOG RESET").await, "+OK\r\n");
    assert_eq!(q(&mut c, "PING").await, "+PONG\r\n");
    assert_eq!(q(&mut c, "SLOWLOG LEN").await, ":0\r\n");
    node.stop().await;
}

/// Every call goes to its command's latency histogram, as Redis records them: INFO
/// latencystats shows the configured percentiles of each command called, LATENCY
/// HISTOGRAM its calls and cumulative counts (the last is the calls); `latency-tracking
/// no` stops recording and hides the section, CONFIG RESETSTAT forgets it all.
#[tokio::test]
async fn latency_histograms_track_each_command() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "CONFIG RESETSTAT").await, "+OK\r\n");
    for line in ["SET a 1", "GET a", "GET a", "GET b", "CLIENT ID"] {
        q(&mut c, line).await;
    }
    let info = q(&mut c, "INFO latencystats").await;
    let lines: Vec<&str> = info.split("\r\n").filter(|l| l.contains(':')).collect();
    let names: Vec<&str> = lines.iter().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "latency_percentiles_usec_client|id",
            "latency_percentiles_usec_config|resetstat",
            "latency_percentiles_usec_get",
            "latency_percentiles_usec_set",
        ],
        "{info}"
    );
    for line in &lines {
        let (_, values) = line.split_once(':').unwrap();
        let labels: Vec<&str> = values
            .split(',')
            .map(|v| v.split('=').next().unwrap())
            .collect();
        assert_eq!(labels, ["p50", "p99", "p99.9"], "{line}");
        for v in values.split(',') {
            let (_, n) = v.split_once('=').unwrap();
            assert_eq!(n.split_once('.').map(|(_, d)| d.len()), Some(3), "{line}");
        }
    }
    // GET: 3 calls; the histogram's last cumulative count is all of them.
    let reply =
        String::from_utf8(cmd(&mut c, &[b"LATENCY", b"HISTOGRAM", b"get", b"nosuch"]).await)
            .unwrap();
    let parts: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(
        parts[..9],
        [
            "*2",
            "$3",
            "get",
            "*4",
            "$5",
            "calls",
            ":3",
            "$14",
            "histogram_usec"
        ],
        "{reply}"
    );
    let pairs: usize = parts[9].trim_start_matches('*').parse::<usize>().unwrap() / 2;
    assert!(pairs >= 1, "{reply}");
    assert_eq!(parts[9 + 2 * pairs], ":3", "{reply}");
    // A container names its subcommands' histograms.
    let reply = q(&mut c, "LATENCY HISTOGRAM client").await;
    assert!(
        reply.starts_with("*2\r\n$9\r\nclient|id\r\n*4\r\n$5\r\ncalls\r\n:1\r\n"),
        "{reply}"
    );
    // Off: not recorded, and INFO shows the header only; LATENCY still answers.
    assert_eq!(q(&mut c, "CONFIG SET latency-tracking no").await, "+OK\r\n");
    q(&mut c, "GET a").await;
    assert_eq!(
        q(&mut c, "INFO latencystats").await,
        "$16\r\n# Latencystats\r\n\r\n"
    );
    let reply = q(&mut c, "LATENCY HISTOGRAM get").await;
    assert!(reply.contains("calls\r\n:3\r\n"), "{reply}");
    assert_eq!(
        q(&mut c, "CONFIG SET latency-tracking yes").await,
        "+OK\r\n"
    );
    let no_percentiles: &[&[u8]] = &[b"CONFIG", b"SET", b"latency-tracking-info-percentiles", b""];
    assert_eq!(cmd(&mut c, no_percentiles).await, b"+OK\r\n");
    let info = q(&mut c, "INFO latencystats").await;
    assert!(info.contains("latency_percentiles_usec_get:\r\n"), "{info}");
    assert_eq!(q(&mut c, "CONFIG RESETSTAT").await, "+OK\r\n");
    assert_eq!(q(&mut c, "LATENCY HISTOGRAM get set").await, "*0\r\n");
    node.stop().await;
}

/// With latency-monitor-threshold set, a command that ran at least that long is a
/// sample of the `command` event (`fast-command` for fast ones): LATENCY LATEST and
/// HISTORY show it, LATENCY RESET forgets it.
#[tokio::test]
async fn latency_monitor_records_slow_commands() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "LATENCY LATEST").await, "*0\r\n");
    assert_eq!(
        q(&mut c, "CONFIG SET latency-monitor-threshold 1").await,
        "+OK\r\n"
    );
    // Several milliseconds of Lua on any machine.
    let spin = "local i = 0 while i < 3000000 do i = i + 1 end return i";
    assert_eq!(
        cmd(&mut c, &[b"EVAL", spin.as_bytes(), b"0"]).await,
        b":3000000\r\n"
    );
    assert_eq!(q(&mut c, "PING").await, "+PONG\r\n");
    let latest = q(&mut c, "LATENCY LATEST").await;
    let parts: Vec<&str> = latest.split("\r\n").collect();
    assert_eq!(parts[..4], ["*1", "*4", "$7", "command"], "{latest}");
    let ms: i64 = parts[5].trim_start_matches(':').parse().unwrap();
    assert!(ms >= 1, "{latest}");
    assert_eq!(parts[6], format!(":{ms}"), "{latest}");
    let history = q(&mut c, "LATENCY HISTORY command").await;
    assert!(history.starts_with("*1\r\n*2\r\n:"), "{history}");
    assert!(history.ends_with(&format!(":{ms}\r\n")), "{history}");
    assert_eq!(q(&mut c, "LATENCY HISTORY fast-command").await, "*0\r\n");
    // Matched ignoring case, as Redis's RESET matches (HISTORY does not).
    assert_eq!(q(&mut c, "LATENCY RESET COMMAND nosuch").await, ":1\r\n");
    assert_eq!(q(&mut c, "LATENCY LATEST").await, "*0\r\n");
    let doctor = q(&mut c, "LATENCY DOCTOR").await;
    assert!(
        doctor.contains("Dave, no latency spike was observed"),
        "{doctor}"
    );
    node.stop().await;
}

/// CLIENT LIST shows a client in MULTI as Redis does: `flags=x` and the number of
/// commands queued, also while its EXEC runs them; `flags=N multi=-1` once it ends.
#[tokio::test]
async fn client_list_shows_transactions() {
    let node = start_node().await;
    let mut tx = raw(&node).await;
    let mut other = raw(&node).await;
    let line_of = |list: String, id: &str| {
        list.lines()
            .find(|l| l.contains(&format!("id={id} ")))
            .map(|l| {
                let field = |f: &str| l.split(' ').find(|w| w.starts_with(f)).unwrap().to_string();
                (field("flags="), field("multi="))
            })
            .unwrap_or_else(|| panic!("no client {id} in {list}"))
    };
    let id = tx.q("CLIENT ID").await;
    let id = id.trim_start_matches(':').trim().to_string();
    assert_eq!(tx.q("MULTI").await, "+OK\r\n");
    assert_eq!(tx.q("SET x 1").await, "+QUEUED\r\n");
    assert_eq!(tx.q("GET x").await, "+QUEUED\r\n");
    let seen = line_of(other.q("CLIENT LIST").await, &id);
    assert_eq!(seen, ("flags=x".into(), "multi=2".into()));
    assert_eq!(tx.q("CLIENT INFO").await, "+QUEUED\r\n");
    let exec = String::from_utf8(tx.cmd(&[b"EXEC"]).await).unwrap();
    assert!(
        exec.contains(" flags=x ") && exec.contains(" multi=3 "),
        "{exec}"
    );
    let seen = line_of(other.q("CLIENT LIST").await, &id);
    assert_eq!(seen, ("flags=N".into(), "multi=-1".into()));
    assert_eq!(tx.q("MULTI").await, "+OK\r\n");
    assert_eq!(tx.q("DISCARD").await, "+OK\r\n");
    let seen = line_of(other.q("CLIENT LIST").await, &id);
    assert_eq!(seen, ("flags=N".into(), "multi=-1".into()));
    node.stop().await;
}
