#include "common/cli.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    program_.name = "secretctl";
    program_.about = "Admin CLI.";
    program_.global_flags = {{"data-dir", "DIR", "the data directory"}};
    program_.commands = {
        {{"role", "put"},
         "NAME",
         "create or replace a role",
         "",
         {{"trust", "FILE", "trust policy", false, true},
          {"policy", "FILE", "permission policy", true, false},
          {"max-token-lifetime", "SECONDS", "limit"},
          {"verbose", "", "say more"}},
         1,
         1,
         [this](const Invocation& inv) {
           last_args_ = inv.args();
           policies_ = inv.GetAll("policy");
           trust_ = inv.Get("trust");
           data_dir_ = inv.Get("data-dir");
           verbose_ = inv.Has("verbose");
           return kExitOk;
         }},
        {{"role", "list"},
         "",
         "list roles",
         "",
         {},
         0,
         0,
         [](const Invocation&) { return kExitOk; }},
        {{"exec"},
         "-- CMD [ARGS...]",
         "run a command",
         "",
         {},
         1,
         -1,
         [this](const Invocation& inv) {
           last_args_ = inv.args();
           return kExitRefused;
         }},
    };
  }

  int Call(std::vector<std::string> argv) {
    argv.insert(argv.begin(), "secretctl");
    out_.str("");
    err_.str("");
    return cli::Run(program_, argv, out_, err_);
  }

  Program program_;
  std::ostringstream out_, err_;
  std::vector<std::string> last_args_, policies_;
  std::string trust_, data_dir_;
  bool verbose_ = false;
};

TEST_F(CliTest, ParsesPathFlagsAndArguments) {
  EXPECT_EQ(Call({"--data-dir", "/d", "role", "put", "web", "--trust=t.json",
                  "--policy", "a.json", "--policy", "b.json", "--verbose"}),
            kExitOk);
  EXPECT_THAT(last_args_, ElementsAre("web"));
  EXPECT_THAT(policies_, ElementsAre("a.json", "b.json"));
  EXPECT_EQ(trust_, "t.json");
  EXPECT_EQ(data_dir_, "/d");
  EXPECT_TRUE(verbose_);
}

TEST_F(CliTest, GlobalFlagMayFollowTheCommand) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust", "t", "--data-dir=/x"}),
            kExitOk);
  EXPECT_EQ(data_dir_, "/x");
}

TEST_F(CliTest, HandlerExitCodeIsReturned) {
  EXPECT_EQ(Call({"exec", "--", "ls", "--help", "-l"}), kExitRefused);
  EXPECT_THAT(last_args_, ElementsAre("ls", "--help", "-l"));
}

TEST_F(CliTest, MissingRequiredFlagIsAUsageError) {
  EXPECT_EQ(Call({"role", "put", "web"}), kExitUsage);
  EXPECT_THAT(
      err_.str(),
      HasSubstr("secretctl role put: missing required flag --trust FILE"));
}

TEST_F(CliTest, UnknownFlagSuggestsTheClosestOne) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust", "t", "--polcy", "a"}),
            kExitUsage);
  EXPECT_THAT(err_.str(),
              HasSubstr("unknown flag --polcy; did you mean --policy?"));
}

TEST_F(CliTest, UnknownCommandSuggestsTheClosestOne) {
  EXPECT_EQ(Call({"role", "lst"}), kExitUsage);
  EXPECT_THAT(
      err_.str(),
      HasSubstr(
          "secretctl role: unknown command \"lst\"; did you mean \"list\"?"));
}

TEST_F(CliTest, UnknownCommandAfterAGlobalFlagNamesTheCommand) {
  EXPECT_EQ(Call({"--data-dir", "/srv/secretd", "role", "lst"}), kExitUsage);
  EXPECT_THAT(
      err_.str(),
      HasSubstr(
          "secretctl role: unknown command \"lst\"; did you mean \"list\"?"));
  err_.str("");
  EXPECT_EQ(Call({"--data-dir", "/srv/secretd", "rol"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("secretctl: unknown command \"rol\""));
}

TEST_F(CliTest, UnknownFlagBeforeTheCommandIsNamed) {
  EXPECT_EQ(Call({"--bogus", "role", "list"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown flag --bogus\n"
            "Run \"secretctl role list --help\" for usage.\n");
  EXPECT_EQ(Call({"role", "--bogus", "list"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl role: unknown flag --bogus\n"
            "Run \"secretctl role list --help\" for usage.\n");
  EXPECT_EQ(Call({"--bogus"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown flag --bogus\n"
            "Run \"secretctl --help\" for usage.\n");
}

TEST_F(CliTest, UnknownFlagBeforeTheCommandSuggestsAGlobalFlag) {
  EXPECT_EQ(Call({"--data-dri", "/d", "role", "list"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown flag --data-dri; did you mean --data-dir?\n"
            "Run \"secretctl role list --help\" for usage.\n");
  EXPECT_EQ(Call({"--hlp"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown flag --hlp; did you mean --help?\n"
            "Run \"secretctl --help\" for usage.\n");
}

TEST_F(CliTest, CommandFlagBeforeTheCommandShowsWhereItGoes) {
  EXPECT_EQ(Call({"--trust", "t.json", "role", "put", "web"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: --trust goes after the command: secretctl role put "
            "--trust t.json web\n"
            "Run \"secretctl role put --help\" for usage.\n");
  EXPECT_EQ(Call({"--data-dir", "/d", "role", "--verbose", "put", "web"}),
            kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl role: --verbose goes after the command: secretctl "
            "--data-dir /d role put --verbose web\n"
            "Run \"secretctl role put --help\" for usage.\n");
  // The command is not complete: the line names where it goes.
  EXPECT_EQ(Call({"--policy=p.json", "role"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: --policy goes after the command: secretctl role "
            "COMMAND --policy=p.json\n"
            "Run \"secretctl role --help\" for usage.\n");
  // A flag of another command is unknown here.
  EXPECT_EQ(Call({"--trust", "t", "role", "list"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown flag --trust\n"
            "Run \"secretctl role list --help\" for usage.\n");
}

TEST_F(CliTest, SingleDashOptionBeforeTheCommandIsRejected) {
  EXPECT_EQ(Call({"-v", "role", "list"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "secretctl: unknown option \"-v\"; flags take two dashes\n"
            "Run \"secretctl role list --help\" for usage.\n");
}

TEST_F(CliTest, HelpWinsOverAStrayFlag) {
  EXPECT_EQ(Call({"--bogus", "role", "list", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Usage: secretctl role list\n"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, MissingSubcommandListsTheChoices) {
  EXPECT_EQ(Call({"role"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("missing command; one of: list, put"));
}

TEST_F(CliTest, WrongArgumentCountIsAUsageError) {
  EXPECT_EQ(Call({"role", "put", "--trust", "t"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("expected NAME, got 0 arguments"));
  EXPECT_EQ(Call({"role", "list", "extra"}), kExitUsage);
}

TEST_F(CliTest, FlagWithoutValueIsAUsageError) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--trust needs a value (FILE)"));
}

TEST_F(CliTest, SwitchWithValueIsAUsageError) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust", "t", "--verbose=yes"}),
            kExitUsage);
}

TEST_F(CliTest, NonRepeatedFlagTwiceIsAUsageError) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust", "a", "--trust", "b"}),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--trust given twice"));
}

TEST_F(CliTest, HelpPrintsTheCommandsFlags) {
  EXPECT_EQ(Call({"role", "put", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Usage: secretctl role put [FLAGS] NAME"));
  EXPECT_THAT(out_.str(), HasSubstr("--policy FILE"));
  EXPECT_THAT(out_.str(), HasSubstr("(required)"));
  EXPECT_EQ(Call({"help", "role", "put"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Usage: secretctl role put"));
}

TEST_F(CliTest, HelpAnnotatesEachFlagOnce) {
  EXPECT_EQ(Call({"role", "put", "--help"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "Usage: secretctl role put [FLAGS] NAME\n"
            "\n"
            "create or replace a role\n"
            "\n"
            "Flags:\n"
            "  --trust FILE                  trust policy (required)\n"
            "  --policy FILE                 permission policy (repeatable)\n"
            "  --max-token-lifetime SECONDS  limit\n"
            "  --verbose                     say more\n"
            "\n"
            "Global flags:\n"
            "  --data-dir DIR  the data directory\n"
            "\n"
            "Exit status: 0 ok, 1 refused or failed, 2 usage error.\n");
}

// Hidden flags (for tests only) work but --help does not show them, and a
// program without (visible) global flags does not mention them.
TEST(HiddenFlagTest, WorksButIsLeftOutOfHelp) {
  Program p;
  p.name = "daemon";
  p.about = "A daemon.";
  std::string delay;
  Flag hidden{"test-only-delay", "DURATION", "for tests only"};
  hidden.hidden = true;
  p.commands = {{{"serve"},
                 "",
                 "serve",
                 "",
                 {{"listen", "ADDR", "where", false, true}, hidden},
                 0,
                 0,
                 [&](const Invocation& inv) {
                   delay = inv.Get("test-only-delay");
                   return kExitOk;
                 }}};
  std::ostringstream out, err;
  EXPECT_EQ(
      cli::Run(p,
               {"daemon", "serve", "--listen", "a", "--test-only-delay", "5s"},
               out, err),
      kExitOk);
  EXPECT_EQ(delay, "5s");

  EXPECT_EQ(cli::Run(p, {"daemon", "serve", "--help"}, out, err), kExitOk);
  EXPECT_EQ(out.str(),
            "Usage: daemon serve [FLAGS]\n"
            "\n"
            "serve\n"
            "\n"
            "Flags:\n"
            "  --listen ADDR  where (required)\n"
            "\n"
            "Exit status: 0 ok, 1 refused or failed, 2 usage error.\n");
  // Not suggested either.
  err.str("");
  EXPECT_EQ(
      cli::Run(p,
               {"daemon", "serve", "--listen", "a", "--test-only-dlay", "5s"},
               out, err),
      kExitUsage);
  EXPECT_EQ(err.str(),
            "daemon serve: unknown flag --test-only-dlay\n"
            "Run \"daemon serve --help\" for usage.\n");

  out.str("");
  EXPECT_EQ(cli::Run(p, {"daemon", "--help"}, out, err), kExitOk);
  EXPECT_EQ(out.str(),
            "Usage: daemon COMMAND [FLAGS] [ARGS]\n"
            "\n"
            "A daemon.\n"
            "\n"
            "Commands:\n"
            "  serve   serve\n"
            "\n"
            "Run \"daemon COMMAND --help\" for a command's flags.\n");

  err.str("");
  EXPECT_EQ(cli::Run(p, {"daemon", "--bogus"}, out, err), kExitUsage);
  EXPECT_EQ(err.str(),
            "daemon: unknown flag --bogus\n"
            "Run \"daemon --help\" for usage.\n");
}

TEST_F(CliTest, TopLevelHelpListsEveryCommand) {
  EXPECT_EQ(Call({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("role put NAME"));
  EXPECT_THAT(out_.str(), HasSubstr("exec -- CMD [ARGS...]"));
  EXPECT_THAT(out_.str(),
              HasSubstr("Usage: secretctl [GLOBAL FLAGS] COMMAND [FLAGS]"));
  EXPECT_EQ(Call({}), kExitUsage);
}

TEST_F(CliTest, SingleDashOptionIsRejected) {
  EXPECT_EQ(Call({"role", "put", "web", "--trust", "t", "-v"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("flags take two dashes"));
}

// A binary without subcommands (bootstrap) is one command with an empty path.
TEST(SingleCommandProgramTest, FlagsArgumentsHelpAndMessagesUseTheProgramName) {
  Program p;
  p.name = "agent";
  std::vector<std::string> args;
  std::string role;
  p.commands = {{{},
                 "[-- CMD ARGS...]",
                 "run the agent",
                 "",
                 {{"role", "R", "the role", false, true}},
                 0,
                 -1,
                 [&](const Invocation& inv) {
                   args = inv.args();
                   role = inv.Get("role");
                   return 7;
                 },
                 "0 ok, 7 custom."}};
  std::ostringstream out, err;
  EXPECT_EQ(
      cli::Run(p, {"agent", "--role", "web", "--", "env", "-i"}, out, err), 7);
  EXPECT_EQ(role, "web");
  EXPECT_THAT(args, ElementsAre("env", "-i"));

  EXPECT_EQ(cli::Run(p, {"agent"}, out, err), kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("agent: missing required flag --role R"));

  EXPECT_EQ(cli::Run(p, {"agent", "--help"}, out, err), kExitOk);
  EXPECT_THAT(out.str(), HasSubstr("Usage: agent [FLAGS] [-- CMD ARGS...]"));
  EXPECT_THAT(out.str(), HasSubstr("Exit status: 0 ok, 7 custom."));
}

TEST(GetIntTest, ParsesAndChecksTheRange) {
  Program p;
  p.name = "x";
  int64_t got = 0;
  std::string error;
  p.commands = {
      {{"run"}, "", "", "", {{"n", "N", ""}}, 0, 0, [&](const Invocation& inv) {
         auto v = inv.GetInt("n", 7, 1, 100);
         if (!v.ok()) {
           error = std::string(v.status().message());
           return kExitUsage;
         }
         got = *v;
         return kExitOk;
       }}};
  std::ostringstream out, err;
  EXPECT_EQ(cli::Run(p, {"x", "run"}, out, err), kExitOk);
  EXPECT_EQ(got, 7);
  EXPECT_EQ(cli::Run(p, {"x", "run", "--n", "42"}, out, err), kExitOk);
  EXPECT_EQ(got, 42);
  EXPECT_EQ(cli::Run(p, {"x", "run", "--n", "4x"}, out, err), kExitUsage);
  EXPECT_EQ(error, "--n expects a whole number, got \"4x\"");
  EXPECT_EQ(cli::Run(p, {"x", "run", "--n", "101"}, out, err), kExitUsage);
  EXPECT_EQ(error, "--n must be between 1 and 100, got 101");
}

}  // namespace
}  // namespace common::cli
