/** Help texts. README's CLI reference embeds these verbatim (a test keeps them equal). */

/** How diff, apply, drift and rollback reach the cluster (the same options in each). */
const CLUSTER_HELP = `      --kubeconfig FILE    Kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --context NAME       Kubeconfig context (default: its current context)
      --expect-server URL  Refuse a kubeconfig whose server is not this one
      --expect-ca-sha256 H Refuse a cluster CA with another sha256 fingerprint
      --server URL         No kubeconfig: this apiserver, with a bearer token from
      --token-env NAME     this environment variable (an OIDC ID token, such as
                           GitLab id_tokens; never put the token in argv)
      --certificate-authority FILE
                           The CA of --server (default: the system's CAs)
`;

/** Which render tools diff, apply and drift run. */
const TOOLS_HELP = `      --helm PATH          helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH       kubectl binary (default: $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH     Use a standalone kustomize (default: $KUBEPLAN_KUSTOMIZE)
`;

export const MAIN_HELP = `kubeplan: push-based GitOps as one CI step

Usage: kubeplan <command> [options]

Commands:
  render    Render Helm charts, Kustomize overlays and manifest folders to the
            exact objects kubeplan diffs and applies
  diff      Plan: what applying the rendered targets would change in the cluster
  apply     Make the cluster match git: staged server-side apply, then prune
  drift     Where the live cluster differs from git (read-only), for schedules
  bump      Move image references to the newest tags their policy allows, as
            pull requests (or local edits)
  rollback  Re-apply a stored revision of a target (apply: {rollback: true})
  recover   Rebuild a lost cluster from git onto an empty one, and report what
            git cannot restore (empty volumes, Secrets, load balancer addresses)
  ci        In a GitLab CI job: what the pipeline calls for (merge request: plan
            and note; default branch: apply; schedule: drift or bump)
  promote   Open a pull request that gives a target the versions its upstream
            target has run long enough (promote: {from, soak})
  canary    Show, continue, promote, abort or retry the canary of a target
            (canary: in kubeplan.yaml), from where it stands in the cluster
  init      Write kubeplan.yaml from the charts, overlays and manifest folders
            found here, and the GitHub workflows that plan, apply, drift, bump

Options:
  -h, --help       Show help (kubeplan <command> --help for a command's options)
  -v, --version    Print kubeplan's version

Exit codes: 0 success, 2 bad input or any other error (nothing is written);
kubeplan diff --exit-code and drift --exit-code also exit 1 when there are
changes or drift; apply --plan / --expect-plan exits 4 when the plan is not
the reviewed one (nothing is written); recover exits 3 when the cluster already
has inventories of this repository (nothing is written); apply and canary exit 1
when a canary was rolled back and 3 when it is not finished.
`;

export const CANARY_HELP = `Usage: kubeplan canary <status|continue|promote|abort|retry> [options]

A target with canary: in kubeplan.yaml sends a new pod template to a share of the
traffic, measures it with Prometheus step by step, and promotes or rolls it back.
Its state lives in the cluster (ConfigMap kubeplan-canary-<target>), so any run
can go on where another stopped. Every command but status first makes the
cluster match the state (the checked-out commit must render the canary's
template), then moves the canary as kubeplan apply does, within --canary-budget.

Commands:
  status     Where each canary is: phase, step, weight, holder, measurements
  continue   Go on from where the canary stands; at an approval gate, approve it
  promote    Count the current step as passed and go to the next one; with
             --full, promote now (skip the remaining steps)
  abort      Roll back now: weights to stable, canary deleted
  retry      Canary again a pod template that failed (it is held back until then)

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Only this target; repeat for several (default: every
                           target with a canary)
      --full               promote: skip every remaining step
      --canary-budget D    How long this run moves the canary (default: 15m)
      --timeout D          How long to wait until a Deployment is healthy
                           (default: 5m)
${CLUSTER_HELP}  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Exit codes: 0 promoted (status: no canary under way), 1 rolled back, 2 bad
input or an error, 3 not finished (budget, approval gate, another run holds
it; status: a canary is under way).

Examples:
  kubeplan canary status
  kubeplan canary continue --target shop-prod
  kubeplan canary promote --full --target shop-prod
`;

export const RENDER_HELP = `Usage: kubeplan render [options]

Renders the targets of kubeplan.yaml: Helm charts with \`helm template\`, Kustomize
overlays with \`kubectl kustomize\`, folders of YAML/JSON files as they are. Namespaced
objects without a namespace get the target's; output is sorted (Namespaces, CRDs,
then kind, namespace, name) and every object is preceded by its source.

Options:
  -c, --config FILE      Config file (default: kubeplan.yaml)
  -t, --target NAME      Render only this target; repeat for several
      --out-dir DIR      Write DIR/<target>.yaml (or .json) per target instead of
                         printing one stream
  -o, --output FORMAT    yaml (default) or json
      --show-secrets     Print Secret values on stdout (redacted by default; files
                         in --out-dir always hold the real values)
      --opt-ins-from REF Take kustomize.allow* and helm.allowRepositories from the
                         config as committed at git REF (for untrusted changes)
      --helm PATH        helm binary (default: $KUBEPLAN_HELM, then PATH)
      --kubectl PATH     kubectl binary for \`kubectl kustomize\` (default:
                         $KUBEPLAN_KUBECTL, then PATH)
      --kustomize PATH   Use a standalone kustomize instead of \`kubectl kustomize\`
                         (default: $KUBEPLAN_KUSTOMIZE)
  -h, --help             Show this help

Examples:
  kubeplan render
  kubeplan render --target shop-prod -o json
  kubeplan render --out-dir rendered/
`;

export const DIFF_HELP = `Usage: kubeplan diff [options]

Renders the targets and compares them with the live cluster. In server mode each
object that may have changed gets a server-side apply dry-run (field manager
kubeplan); objects whose rendered fields already match the cluster need no
request. Client mode compares without write permission. Secret values never
appear: the report says per key whether it was added, removed or changed.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Plan only this target; repeat for several
      --cluster NAME       Only the instances on this named cluster (kubeplan.yaml
                           clusters:); repeat for several
${CLUSTER_HELP}      --mode MODE          server, client or auto (default: auto: server when the
                           credentials may patch every object, else client)
      --base REF           Also render the targets at git REF: the report shows
                           what this change does (base → working tree) and where
                           the cluster already differs from REF (drift)
      --offline            No cluster: with --base, only the intent diff
      --opt-ins-from REF   Take kustomize.allow* and helm.allowRepositories from
                           the config as committed at git REF, so the change being
                           planned cannot turn them on for itself (the report
                           notes a change to them)
  -o, --output FORMAT      text (default), markdown, json, or matrix: the
                           instances as a CI job matrix, from kubeplan.yaml
                           alone (no render, no cluster)
      --exit-code          Exit 1 when there are changes (0 none, 2 error)
      --out FILE           Also write the plan with its digests (the JSON
                           report) to FILE, for kubeplan apply --plan FILE
      --color, --no-color  Colour the text report, or not (default: when stdout
                           is a terminal; FORCE_COLOR and NO_COLOR are honoured)
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Examples:
  kubeplan diff
  kubeplan diff --out plan.json          # review it, then: kubeplan apply --plan plan.json
  kubeplan diff --target shop-prod -o markdown > plan.md
  kubeplan diff --mode client --exit-code
  kubeplan diff --base origin/main --offline
`;

export const APPLY_HELP = `Usage: kubeplan apply [options]

Plans every target (as kubeplan diff --mode server) and writes only what changed,
with server-side apply as field manager kubeplan, in stages: CRDs, Namespaces and
cluster-wide RBAC; then, once the CRDs are Established, everything else; webhooks
and APIServices last; Helm pre-/post- hooks around them. Objects applied before
and no longer rendered are pruned (the target's ApplySet, a ConfigMap
kubeplan-<target>, records them). Nothing is written when the plan has errors or
replaces an object.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Apply only this target; repeat for several
      --cluster NAME       Only the instances on this named cluster (kubeplan.yaml
                           clusters:); repeat for several
${CLUSTER_HELP}      --dry-run            Plan only; write nothing
      --wait, --no-wait    Wait until every object of the target is healthy
                           (what this run wrote and what an earlier run left
                           unhealthy) before pruning (default: wait)
      --timeout D          How long to wait, e.g. 90s, 5m (default: 5m; a
                           Deployment's progressDeadlineSeconds wins if shorter);
                           also how long each Helm hook may run, even --no-wait
      --force-conflicts    Take over fields other field managers own
      --allow-empty        Let a target that renders nothing prune everything
      --no-hooks           Do not run Helm hooks (pre-/post-install and -upgrade
                           hooks run by weight around the stages; tests never)
      --plan FILE          Apply only the plan kubeplan diff --out wrote: when
                           git renders something else, or the cluster changed
                           since, write nothing and exit 4, showing what differs
      --expect-plan DIGEST Apply only if the plan is this sha256:… digest
      --canary-budget D    How long this run moves canaries (targets with
                           canary:), e.g. 10m (default: 15m); past it the canary
                           stays where it is and kubeplan canary continue (or
                           the next apply) goes on
      --no-canary          Apply a new pod template as the stable version at
                           once, without a canary (ends one under way)
  -o, --output FORMAT      text (default), json, or matrix (as for diff)
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Exit codes: 0 applied (and every canary promoted, or none needed), 1 a canary
was rolled back, 2 bad input or a failure, 3 a canary is not finished (its
budget ran out, it waits at an approval gate, or another run moves it), 4 not
the reviewed plan.

Examples:
  kubeplan apply
  kubeplan apply --target shop-prod --dry-run
  kubeplan apply --plan plan.json
`;

export const DRIFT_HELP = `Usage: kubeplan drift [options]

Compares the checked-out commit with the live cluster, read-only (client mode:
get and list rights are enough), and reports objects edited by hand (the fields
named), objects missing from the cluster, and objects the target applied that git
no longer has. Meant for a schedule; Secret values never appear.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        Check only this target; repeat for several
      --cluster NAME       Only the instances on this named cluster (kubeplan.yaml
                           clusters:); repeat for several
${CLUSTER_HELP}  -o, --output FORMAT      text (default), markdown, json or openmetrics
                           (kubeplan_drift_objects, _first_seen_timestamp_seconds
                           and _check_success per target; kubeplan_canary_weight,
                           _step, _phase and _heartbeat_age_seconds per canary
                           target)
      --exit-code          Exit 1 when there is drift (0 none, 2 error)
      --color, --no-color  Colour the text report, or not (default: when stdout
                           is a terminal; FORCE_COLOR and NO_COLOR are honoured)
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Examples:
  kubeplan drift --exit-code
  kubeplan drift -o openmetrics > /var/lib/node_exporter/kubeplan.prom
`;

export const BUMP_HELP = `Usage: kubeplan bump [options]

Finds every image reference in the targets' source files (values files, Kustomize
images, manifests, Flux and Renovate markers), asks the registries for their tags,
picks the newest each image's policy allows and edits the files byte for byte
(comments, quotes and layout kept). By default it opens or updates one pull request
per image (or group) on a stable branch; that needs GITHUB_TOKEN and
GITHUB_REPOSITORY. Registry credentials come from Docker's config.json.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
      --image NAME         Only this image (as written, without tag); repeat
      --tag TAG            With one --image: move it to this tag, as app CI
                           announces it (one HEAD request, no tag listing)
      --digest DIGEST      With --tag: the sha256 digest the tag must have
      --local              Edit the working tree only: no git, no pull requests
      --dry-run            Write nothing; print the edits as unified diffs
      --explain            List every tag and why it was not chosen
  -o, --output FORMAT      text (default) or json (schema in the README)
      --registry-endpoint HOST=URL
                           Reach HOST's registry at URL (a mirror); repeat
  -h, --help               Show this help

Exit codes: 0 done (with or without bumps), 2 bad input or an image whose
registry failed (the other images still move).

Examples:
  kubeplan bump --dry-run --explain
  kubeplan bump --local --image ghcr.io/acme/shop
  kubeplan bump --image ghcr.io/acme/shop --tag 2.5.0 --digest sha256:...
`;

export const ROLLBACK_HELP = `Usage: kubeplan rollback --target NAME [options]

Re-applies a stored revision of a target: by default the one before the newest,
through the same plan and staged server-side apply as kubeplan apply (objects
added since are pruned), and records it as a new revision. Revisions are kept for
targets with apply: {rollback: true} in kubeplan.yaml, which also makes a failed
apply roll back to the last good one by itself. Hooks do not run.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        The target (exactly one)
      --cluster NAME       With named clusters (kubeplan.yaml clusters:): the
                           cluster whose instance rolls back
      --list               List the stored revisions instead
      --to-revision N      Roll back to revision N (default: the previous one)
${CLUSTER_HELP}      --force-conflicts    Take over fields other field managers own
      --no-wait            Do not wait until the restored objects are healthy
      --timeout DURATION   How long to wait (default: 5m)
  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
  -h, --help               Show this help

Examples:
  kubeplan rollback --target shop-prod --list
  kubeplan rollback --target shop-prod
  kubeplan rollback --target shop-prod --to-revision 7
`;

export const RECOVER_HELP = `Usage: kubeplan recover [--cluster NAME] [options]

Rebuilds a lost cluster from git onto an empty one, through the same plan and
staged server-side apply as kubeplan apply. Refuses a cluster that already has
kubeplan inventories of this repository (unless --force); records the commit on
every target's inventory before the first object (the guard that refuses older
pipelines); applies every target on the cluster in dependency order, all stages
and Helm hooks, waiting until each is healthy; then reports the time per target
and stage (the recovery time) and what git cannot restore: PersistentVolumeClaims
created empty, Secrets the workloads use that no target renders, and
LoadBalancer Services that get new external addresses.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
      --cluster NAME       With named clusters (kubeplan.yaml clusters:): the
                           cluster to rebuild (exactly one); without them, the
                           cluster the kubeconfig or --server names
      --to WHAT            The commit to restore: head (default: the checked-out
                           commit), a commit SHA (rendered in a temporary git
                           worktree), or last-successful: the newest commit the
                           cluster's targets last applied successfully, read from
                           GitHub Deployments (GITHUB_TOKEN, GITHUB_REPOSITORY)
                           or, in a GitLab CI job, its deployments
                           (KUBEPLAN_GITLAB_TOKEN)
      --force              Recover over existing inventories of this repository
                           (to finish a recovery that stopped part-way)
      --dry-run            Plan against the cluster and report what would be
                           recovered and what git cannot restore; write nothing
${CLUSTER_HELP}      --timeout D          How long to wait for each target to be healthy, e.g.
                           90s, 10m (default: 5m); also each Helm hook's limit
      --force-conflicts    Take over fields other field managers own
  -o, --output FORMAT      text (default) or json
      --concurrency N      Requests in flight at once (default: 16)
${TOOLS_HELP}  -h, --help               Show this help

Exit codes: 0 recovered (every target applied and healthy), 2 bad input, an
unreachable cluster or a target that failed (the report says which were
applied), 3 refused: the cluster has inventories of this repository (nothing
was written), 130 or 143 cancelled.

Examples:
  kubeplan recover --cluster prod-us --dry-run
  kubeplan recover --cluster prod-us
  kubeplan recover --cluster prod-us --to 3f2a9c1 -o json > recovery.json
`;

export const PROMOTE_HELP = `Usage: kubeplan promote --to TARGET [options]

Promotes to TARGET the versions its upstream (kubeplan.yaml promote.from, or
--from) really runs: the image tags and chart version of the commit the upstream
last applied successfully, read from its GitHub Deployments (with GITHUB_TOKEN
and GITHUB_REPOSITORY) or else from its inventory in the cluster. Refused while
that success is younger than promote.soak or when anything failed since. Opens
or updates one pull request (branch kubeplan/promote/TARGET); --dry-run prints
the edits and pushes nothing.

Options:
  -c, --config FILE        Config file (default: kubeplan.yaml)
      --to TARGET          The destination target (exactly one)
      --from TARGET        The upstream target (default: promote.from)
      --dry-run            Print what would change; push nothing
${CLUSTER_HELP}  -o, --output FORMAT      text (default) or json
  -h, --help               Show this help

Examples:
  kubeplan promote --to shop-prod --dry-run
  GITHUB_TOKEN=… GITHUB_REPOSITORY=acme/config kubeplan promote --to shop-prod
`;

export const INIT_HELP = `Usage: kubeplan init [options]

Scaffolds kubeplan.yaml from the folders of the repository: a folder with
Chart.yaml becomes a helm target (one per values-<env>.yaml beside it), an
overlay with kustomization.yaml a kustomize target (bases other overlays use and
Components are left out), a folder of YAML/JSON Kubernetes objects a manifests
target. Names come from the paths; namespaces to check are comments. Also
writes .github/workflows/kubeplan-plan.yml, -apply.yml, -drift.yml and
-bump.yml. Writes nothing when a file exists, unless --force.

Options:
  -c, --config FILE      Config file to write; its folder is scanned
                         (default: kubeplan.yaml)
      --branch NAME      The branch apply runs on (default: the current
                         branch, else main)
      --no-workflows     Write kubeplan.yaml only
      --force            Overwrite files that exist
      --dry-run          Print the files instead of writing them
  -h, --help             Show this help

Examples:
  kubeplan init --dry-run
  kubeplan init --branch production
`;

export const CI_HELP = `Usage: kubeplan ci [options]

Runs in a GitLab CI job what its pipeline calls for, through the same workflows
as the GitHub Action: a merge-request pipeline plans and keeps one note on the
merge request; a push to the default branch applies (with --apply true); a
scheduled pipeline tracks drift in issues, opens bump merge requests or moves
canaries on; a pipeline triggered by app CI (KUBEPLAN_IMAGE, KUBEPLAN_TAG)
opens that bump.
Every option can also be given as a variable: --fail-on is $KUBEPLAN_FAIL_ON.

Options:
      --command NAME       auto (default), plan, apply, drift, bump, rollback,
                           comment, canary or render
  -c, --config FILE        Config file (default: kubeplan.yaml)
  -t, --target NAME        A target (repeat it; default: all); the variable
                           KUBEPLAN_TARGETS takes names separated by commas
      --cluster NAME       A named cluster (kubeplan.yaml clusters:) to work on
                           (default: all); KUBEPLAN_CLUSTER, for parallel:matrix
      --apply BOOL         auto applies pushes to the default branch (false)
      --schedule-command C What auto runs in a scheduled pipeline: drift, bump,
                           promote or canary
      --fail-on WHAT       never (default), changes, destroy or replace
      --comment MODE       true (default), false or on-changes
      --comment-key KEY    Names the merge-request note (default: config,
                           targets and cluster)
      --only-affected BOOL Plan and apply only targets whose files changed (true)
      --labels BOOL        Put kubeplan:changes, kubeplan:destroy or
                           kubeplan:no-changes on the merge request (false)
      --report-path FILE   comment: the JSON report a plan wrote
      --pull-request IID   comment: the merge request to comment on
      --mode MODE          auto (default), server or client
      --force-conflicts    apply: take over fields other managers own
      --no-wait            apply: do not wait for health
      --timeout DURATION   apply: how long to wait (default: 5m)
      --deployments BOOL   apply: record a GitLab deployment per target (true);
                           false when the job declares environment: itself
      --expect-plan DIGEST apply: only if the plan is this sha256:… digest, not
                           the merge request's reviewed plan (apply.binding)
      --image, --tag, --digest
                           bump: one image, or the dispatch form
      --to-revision N      rollback: the revision, or list
      --canary-budget D    apply, canary: how long to move canaries (15m)
      --no-canary          apply: git's pod template at once, without a canary
      --canary-action A    canary: continue (default), promote, promote-full,
                           abort, retry or status
      --token-variable V   The variable holding the GitLab API token (default:
                           KUBEPLAN_GITLAB_TOKEN; a project access token, api)
      --dotenv FILE        Outputs as KUBEPLAN_* lines (artifacts:reports:dotenv)
      --codequality FILE   Errors with file and line as a Code Quality report
      --concurrency N      Requests to the apiserver in flight (default: 16)
${CLUSTER_HELP}${TOOLS_HELP}  -h, --help               Show this help
`;
