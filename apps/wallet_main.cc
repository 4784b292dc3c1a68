// `synod-wallet`: the wallet's command line. Everything is in src/wallet (cli.h says what each
// command does and what the exit codes mean).
#include "wallet/cli.h"

int main(int argc, char** argv) {
  return synod::wallet::run_cli(argc, argv, synod::wallet::default_cli_environment());
}
