// C++ through the shared runtimes: exceptions thrown in the program and
// inside libstdc++ (std::out_of_range from vector::at, std::stoi) and
// unwound through libgcc_s, std::map, std::string, iostreams with
// formatting, a destructor run by unwinding, and std::thread.
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Noisy {
    std::string name;
    explicit Noisy(std::string n) : name(std::move(n)) {}
    ~Noisy() { std::cout << "~Noisy(" << name << ")\n"; }
};

static int depth(int n)
{
    Noisy guard("level " + std::to_string(n));
    if (n == 0)
        throw std::runtime_error("bottom reached");
    return depth(n - 1) + 1;
}

int main()
{
    std::map<std::string, int> words;
    std::istringstream in("the quick brown fox jumps over the lazy dog the end");
    for (std::string w; in >> w;)
        ++words[w];
    for (const auto &kv : words)
        std::cout << std::setw(6) << kv.first << " " << kv.second << "\n";

    try {
        depth(3);
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << "\n";
    }
    std::vector<int> v{1, 2, 3};
    try {
        v.at(10) = 1;
    } catch (const std::out_of_range &e) {
        std::cout << "out_of_range caught\n";
    }
    try {
        std::stoi("not a number");
    } catch (const std::invalid_argument &e) {
        std::cout << "invalid_argument: " << e.what() << "\n";
    }
    try {
        throw 42;
    } catch (int x) {
        std::cout << "int " << x << "\n";
    }
    std::cout << std::fixed << std::setprecision(5) << 3.14159265358979 << " "
              << std::scientific << 6.02214076e23 << std::hex << " " << 48879 << std::dec << "\n";

    std::vector<long> sums(4);
    std::vector<std::thread> ts;
    for (int k = 0; k < 4; k++)
        ts.emplace_back([k, &sums] {
            long s = 0;
            for (int i = 0; i <= 1000 * (k + 1); i++)
                s += i;
            sums[k] = s;
        });
    for (auto &t : ts)
        t.join();
    for (long s : sums)
        std::cout << "sum " << s << "\n";
    try {
        std::thread t([] {
            try {
                throw std::logic_error("in a thread");
            } catch (const std::exception &e) {
                std::cout << "thread caught: " << e.what() << "\n";
            }
        });
        t.join();
    } catch (...) {
        std::cout << "not reached\n";
    }
    return 0;
}
