// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDataMarket} from "../../src/data/interfaces/IDataMarket.sol";
import {DataTestBase} from "./utils/DataTestBase.sol";

/// @notice Exactness and conservation of the splits: sale splits for random prices, shares and consent masks;
///         cumulative model-revenue and dataset-royalty splits for random increments, checked to the unit against
///         expectations computed here from the totals alone; and the 1,000-increment scenario.
contract DataMarketFuzzTest is DataTestBase {
    IDataMarket.LicenceKind internal constant TRAIN = IDataMarket.LicenceKind.Training;
    bytes32 internal constant DIGEST = keccak256("weights");
    uint256 internal constant BPS = 10_000;

    address[] internal people;

    function setUp() public {
        _deployData();
        for (uint256 i; i < 8; ++i) {
            people.push(makeAddr(string.concat("person", vm.toString(i))));
        }
    }

    /// @dev `n` shares > 0 summing to 10_000, from `seed`.
    function _randomShares(uint256 seed, uint256 n) internal pure returns (uint16[] memory shares) {
        shares = new uint16[](n);
        uint256[] memory w = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            w[i] = 1 + uint256(keccak256(abi.encode(seed, i))) % 1_000;
            total += w[i];
        }
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            shares[i] = uint16(1 + w[i] * (BPS - n) / total);
            sum += shares[i];
        }
        shares[n - 1] += uint16(BPS - sum);
    }

    function _listingOf(address[] memory accounts, uint16[] memory shares, uint96 trainingPrice, uint16 royaltyBps)
        internal
        returns (uint256 id)
    {
        IDataMarket.Contributor[] memory cs = new IDataMarket.Contributor[](shares.length);
        for (uint256 i; i < shares.length; ++i) {
            cs[i] = IDataMarket.Contributor(accounts[i], shares[i], bytes32(i));
        }
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), cs);
        p.terms.accessPrice = trainingPrice;
        p.terms.trainingPrice = trainingPrice;
        p.terms.royaltyBps = royaltyBps;
        id = _publish(p);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Sale split
    // ─────────────────────────────────────────────────────────────────────────────

    function testFuzz_saleSplit_exactAndConserved(uint96 price, uint256 seed, uint8 nRaw, uint256 maskRaw) public {
        uint256 n = bound(nRaw, 1, 8);
        uint256 mask = bound(maskRaw, 1, (1 << n) - 1);
        uint16[] memory shares = _randomShares(seed, n);
        _fund(buyer, price);
        uint256 id = _listingOf(people, shares, price, 0);
        uint256 covered = _consentMask(id, shares, mask);
        _quoteAndBuy(id, price, mask);
        _checkSale(shares, mask, covered, price);
        _assertSolvent();
    }

    function _quoteAndBuy(uint256 id, uint256 price, uint256 mask) internal {
        (uint256 quoted, uint256 qmask, uint32 epoch) = market.quote(id, TRAIN, RESEARCH);
        assertEq(quoted, price);
        assertEq(qmask, mask);
        vm.prank(buyer);
        market.buy(id, TRAIN, RESEARCH, price, epoch);
    }

    /// @dev Contributors in `mask` consent to the sale; every other even one consents without the training scope.
    function _consentMask(uint256 id, uint16[] memory shares, uint256 mask) internal returns (uint256 covered) {
        for (uint256 i; i < shares.length; ++i) {
            if (mask & (1 << i) != 0) {
                vm.prank(people[i]);
                market.giveConsent(id, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
                covered += shares[i];
            } else if (i % 2 == 0) {
                vm.prank(people[i]);
                market.giveConsent(id, bytes32(0), RESEARCH);
            }
        }
    }

    function _checkSale(uint16[] memory shares, uint256 mask, uint256 covered, uint256 price) internal view {
        uint256 first = shares.length;
        uint256 given;
        uint256 sum;
        for (uint256 i; i < shares.length; ++i) {
            uint256 got = market.creditOf(people[i]);
            sum += got;
            if (mask & (1 << i) == 0) {
                assertEq(got, 0, "uncovered contributor paid");
            } else if (first == shares.length) {
                first = i;
            } else {
                uint256 expected = price * shares[i] / covered;
                assertEq(got, expected, "covered share");
                given += expected;
            }
        }
        assertEq(market.creditOf(people[first]), price - given, "first covered takes the remainder");
        assertEq(sum, price, "sum == price");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Cumulative royalty splits
    // ─────────────────────────────────────────────────────────────────────────────

    struct Model {
        uint256[] listings;
        uint16[] bps;
        uint16[][] shares;
        address[][] accounts;
    }

    /// @dev A model on `k` listed datasets (free training licences, so only royalties are credited).
    function _model(uint256 seed, uint256 k, uint256 n) internal returns (Model memory m) {
        m.listings = new uint256[](k);
        m.bps = new uint16[](k);
        m.shares = new uint16[][](k);
        m.accounts = new address[][](k);
        bytes32[] memory roots = new bytes32[](k);
        uint256[] memory lics = new uint256[](k);
        uint256 bpsLeft = BPS;
        for (uint256 j; j < k; ++j) {
            m.bps[j] = uint16(uint256(keccak256(abi.encode(seed, "bps", j))) % (bpsLeft / (k - j) + 1));
            bpsLeft -= m.bps[j];
            m.shares[j] = _randomShares(uint256(keccak256(abi.encode(seed, "shares", j))), n);
            m.accounts[j] = new address[](n);
            for (uint256 i; i < n; ++i) {
                // overlapping contributors across datasets: person (i + j) % 8
                m.accounts[j][i] = people[(i + j) % 8];
            }
            m.listings[j] = _listingOf(m.accounts[j], m.shares[j], 0, m.bps[j]);
            roots[j] = market.getListing(m.listings[j]).root;
            for (uint256 i; i < n; ++i) {
                vm.prank(m.accounts[j][i]);
                market.giveConsent(m.listings[j], bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
            }
            lics[j] = _buy(m.listings[j], TRAIN, RESEARCH);
        }
        _registerModel(DIGEST, roots, 0);
        _royalty(DIGEST, lics);
    }

    /// @dev What every person and the beneficiary is entitled to after cumulative revenue `r`, from `r` alone.
    function _expected(Model memory m, uint256 r) internal view returns (uint256[] memory perPerson, uint256 benef) {
        perPerson = new uint256[](8);
        benef = r;
        for (uint256 j; j < m.listings.length; ++j) {
            uint256 d = r * m.bps[j] / BPS;
            benef -= d;
            uint256 others;
            for (uint256 i = 1; i < m.shares[j].length; ++i) {
                uint256 part = d * m.shares[j][i] / BPS;
                others += part;
                perPerson[_personIndex(m.accounts[j][i])] += part;
            }
            perPerson[_personIndex(m.accounts[j][0])] += d - others;
        }
    }

    function _personIndex(address a) internal view returns (uint256) {
        for (uint256 i; i < 8; ++i) {
            if (people[i] == a) return i;
        }
        revert("not a person");
    }

    function _checkEntitlements(Model memory m, uint256 r, uint256[] memory withdrawn) internal view {
        (uint256[] memory perPerson, uint256 benef) = _expected(m, r);
        uint256 total;
        for (uint256 p; p < 8; ++p) {
            assertEq(market.creditOf(people[p]) + withdrawn[p], perPerson[p], "contributor entitlement");
            total += market.creditOf(people[p]);
        }
        assertEq(market.creditOf(beneficiary), benef, "beneficiary entitlement");
        total += benef;
        assertEq(total, market.totalCredits(), "sum of credits == totalCredits");
        _assertSolvent();
        for (uint256 j; j < m.listings.length; ++j) {
            uint256 d = r * m.bps[j] / BPS;
            assertEq(market.getListing(m.listings[j]).royalties, d, "dataset cumulative royalty");
            uint256 sum;
            for (uint256 i; i < m.shares[j].length; ++i) {
                sum += market.royaltyPaidTo(m.listings[j], i);
            }
            assertEq(sum, d, "royaltyPaidTo sums to D");
        }
    }

    function testFuzz_routeRevenue_cumulativeExact(uint256 seed, uint8 kRaw, uint8 nRaw, uint64[12] memory amounts)
        public
    {
        uint256 k = bound(kRaw, 1, 4);
        uint256 n = bound(nRaw, 1, 6);
        Model memory m = _model(seed, k, n);
        uint256[] memory withdrawn = new uint256[](8);
        uint256 r;
        for (uint256 s; s < amounts.length; ++s) {
            uint256 amount = uint256(amounts[s]) % (s % 3 == 0 ? 50 : 1e12);
            _payVault(DIGEST, amount);
            assertEq(market.routeRevenue(DIGEST), amount);
            r += amount;
            _checkEntitlements(m, r, withdrawn);
            // someone withdraws now and then: entitlements keep adding up
            uint256 who = uint256(keccak256(abi.encode(seed, s))) % 8;
            uint256 w = market.withdrawableOf(people[who]);
            if (w != 0) {
                vm.prank(people[who]);
                market.withdraw();
                withdrawn[who] += w;
            }
        }
        assertEq(market.getModelRoyalty(DIGEST).revenue, r);
    }

    /// @dev The residual party's withdrawable part is its cumulative ceil; held is the rest (bounded).
    function testFuzz_routeRevenue_heldBounded(uint256 seed, uint32[8] memory amounts) public {
        Model memory m = _model(seed, 2, 3);
        uint256 r;
        for (uint256 s; s < amounts.length; ++s) {
            _payVault(DIGEST, amounts[s] % 1_000);
            r += market.routeRevenue(DIGEST);
            uint256 benefBps = BPS - m.bps[0] - m.bps[1];
            (, uint256 benef) = _expected(m, r);
            assertEq(market.withdrawableOf(beneficiary), (r * benefBps + BPS - 1) / BPS, "ceil part");
            assertEq(market.heldOf(beneficiary), benef - (r * benefBps + BPS - 1) / BPS, "held part");
            assertLe(market.heldOf(beneficiary), 1, "held < number of datasets");
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // 3 contributors, 2 datasets, 1 model, 1,000 revenue increments
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Dataset A: alice 50 %, bob 30 %, carol 20 %, royalty 7.77 %; dataset B: carol 33.34 %, alice 33.33 %,
    ///      bob 33.33 %, royalty 12.5 %; one model trained on both.
    function _thousandSetup() internal returns (uint256 a, uint256 b) {
        address[] memory accA = new address[](3);
        (accA[0], accA[1], accA[2]) = (people[0], people[1], people[2]);
        uint16[] memory shA = new uint16[](3);
        (shA[0], shA[1], shA[2]) = (5_000, 3_000, 2_000);
        address[] memory accB = new address[](3);
        (accB[0], accB[1], accB[2]) = (people[2], people[0], people[1]);
        uint16[] memory shB = new uint16[](3);
        (shB[0], shB[1], shB[2]) = (3_334, 3_333, 3_333);
        a = _listingOf(accA, shA, 0, 777);
        b = _listingOf(accB, shB, 0, 1_250);
        for (uint256 i; i < 3; ++i) {
            vm.prank(accA[i]);
            market.giveConsent(a, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
            vm.prank(accB[i]);
            market.giveConsent(b, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
        }
        uint256 la = _buy(a, TRAIN, RESEARCH);
        uint256 lb = _buy(b, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(a).root, market.getListing(b).root), 0);
        _royalty(DIGEST, _ids(la, lb));
    }

    /// @dev Alice, bob, carol and the beneficiary's entitlements after cumulative revenue `r`, from `r` alone.
    function _thousandExpected(uint256 r) internal pure returns (uint256[4] memory e) {
        uint256 dA = r * 777 / BPS;
        uint256 dB = r * 1_250 / BPS;
        uint256 bobA = dA * 3_000 / BPS;
        uint256 carolA = dA * 2_000 / BPS;
        uint256 aliceB = dB * 3_333 / BPS;
        uint256 bobB = dB * 3_333 / BPS;
        e[0] = (dA - bobA - carolA) + aliceB;
        e[1] = bobA + bobB;
        e[2] = carolA + (dB - aliceB - bobB);
        e[3] = r - dA - dB;
    }

    function test_thousandIncrements_everyCreditToTheUnit() public {
        (uint256 a, uint256 b) = _thousandSetup();
        uint256 r;
        uint256 withdrawnAlice;
        for (uint256 s; s < 1_000; ++s) {
            // x402-like payments: mostly 20,000 units (0.02), every 7th an odd amount down to 1 unit
            uint256 amount = s % 7 == 0 ? 1 + uint256(keccak256(abi.encode(s))) % 997 : 20_000;
            _payVault(DIGEST, amount);
            market.routeRevenue(DIGEST);
            r += amount;
            if (s % 100 == 99) {
                vm.prank(people[0]);
                withdrawnAlice += market.withdraw();
            }
        }
        uint256[4] memory e = _thousandExpected(r);
        assertEq(market.creditOf(people[0]) + withdrawnAlice, e[0], "alice");
        assertEq(market.creditOf(people[1]), e[1], "bob");
        assertEq(market.creditOf(people[2]), e[2], "carol");
        assertEq(market.creditOf(beneficiary), e[3], "beneficiary");
        assertEq(token.balanceOf(people[0]), withdrawnAlice);
        assertEq(market.royaltyPaidTo(a, 0), r * 777 / BPS - r * 777 / BPS * 3_000 / BPS - r * 777 / BPS * 2_000 / BPS);
        assertEq(market.getListing(b).royalties, r * 1_250 / BPS);
        assertEq(market.getModelRoyalty(DIGEST).revenue, r);
        _assertSolvent();
    }
}
